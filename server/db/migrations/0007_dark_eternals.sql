CREATE TABLE "disbursement_quotes" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"currency" text NOT NULL,
	"recipients" jsonb NOT NULL,
	"amount" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"total" bigint NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"disbursement_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "disbursement_recipients" (
	"disbursement_id" text NOT NULL,
	"position" integer NOT NULL,
	"destination" jsonb NOT NULL,
	"amount" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"reference" text,
	"status" text NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"paid_at" timestamp (3) with time zone,
	CONSTRAINT "disbursement_recipients_disbursement_id_position_pk" PRIMARY KEY("disbursement_id","position")
);
--> statement-breakpoint
CREATE TABLE "disbursements" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"kind" text NOT NULL,
	"quote_id" text NOT NULL,
	"status" text NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"total" bigint NOT NULL,
	"description" text,
	"application_id" text,
	"metadata" jsonb NOT NULL,
	"process_at" timestamp (3) with time zone,
	"released_at" timestamp (3) with time zone,
	"completed_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "disbursements_quote_id_unique" UNIQUE("quote_id"),
	CONSTRAINT "disbursements_total_check" CHECK ("disbursements"."total" = "disbursements"."amount" + "disbursements"."fee")
);
--> statement-breakpoint
ALTER TABLE "oauth_codes" DROP CONSTRAINT "oauth_codes_application_id_applications_id_fk";
--> statement-breakpoint
ALTER TABLE "oauth_grants" DROP CONSTRAINT "oauth_grants_application_id_applications_id_fk";
--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "client_secret_hash" text;--> statement-breakpoint
ALTER TABLE "oauth_tokens" ADD COLUMN "scopes" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "disbursement_quotes" ADD CONSTRAINT "disbursement_quotes_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disbursement_recipients" ADD CONSTRAINT "disbursement_recipients_disbursement_id_disbursements_id_fk" FOREIGN KEY ("disbursement_id") REFERENCES "public"."disbursements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disbursements" ADD CONSTRAINT "disbursements_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disbursements" ADD CONSTRAINT "disbursements_quote_id_disbursement_quotes_id_fk" FOREIGN KEY ("quote_id") REFERENCES "public"."disbursement_quotes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "disbursement_quotes_merchant_idx" ON "disbursement_quotes" USING btree ("merchant_id","id");--> statement-breakpoint
CREATE INDEX "disbursements_list_idx" ON "disbursements" USING btree ("merchant_id","kind","created_at","id");--> statement-breakpoint
CREATE INDEX "disbursements_due_idx" ON "disbursements" USING btree ("process_at") WHERE status = 'pending';