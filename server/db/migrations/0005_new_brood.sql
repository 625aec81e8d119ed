CREATE TABLE "merchant_clocks" (
	"merchant_id" text PRIMARY KEY NOT NULL,
	"offset_seconds" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "merchant_clocks" ADD CONSTRAINT "merchant_clocks_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE cascade ON UPDATE no action;