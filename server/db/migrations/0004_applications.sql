CREATE TABLE "applications" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"client_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"redirect_uris" jsonb NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "client_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"application_id" text NOT NULL,
	"label" text NOT NULL,
	"scopes" jsonb NOT NULL,
	"token_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"last4" text NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "merchants" DROP CONSTRAINT "merchants_client_id_unique";--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "application_id" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "application_id" text;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "client_tokens" ADD CONSTRAINT "client_tokens_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "client_tokens" ADD CONSTRAINT "client_tokens_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "applications_client_id_idx" ON "applications" USING btree ("client_id");--> statement-breakpoint
CREATE UNIQUE INDEX "applications_default_idx" ON "applications" USING btree ("merchant_id") WHERE is_default;--> statement-breakpoint
CREATE INDEX "applications_list_idx" ON "applications" USING btree ("merchant_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "client_tokens_hash_idx" ON "client_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "client_tokens_list_idx" ON "client_tokens" USING btree ("application_id","created_at","id");--> statement-breakpoint
CREATE INDEX "checkout_sessions_application_idx" ON "checkout_sessions" USING btree ("merchant_id","application_id","created_at","id");--> statement-breakpoint
CREATE INDEX "payments_application_idx" ON "payments" USING btree ("merchant_id","application_id","created_at","id");--> statement-breakpoint
-- Every existing merchant gets its default application, keeping its client id (the one
-- createSandboxMerchant returned and npm start printed); merchants.client_id then goes: the
-- default application is its one source.
INSERT INTO "applications" ("id", "merchant_id", "client_id", "name", "description", "redirect_uris", "is_default", "created_at", "updated_at")
SELECT 'app_' || substr(md5(random()::text || "id"), 1, 24), "id", "client_id", 'Default application', NULL, '[]'::jsonb, true, "created_at", "created_at"
FROM "merchants";--> statement-breakpoint
ALTER TABLE "merchants" DROP COLUMN "client_id";
