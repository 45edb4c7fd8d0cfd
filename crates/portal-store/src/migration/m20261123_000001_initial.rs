//! The first schema: identities, accounts and their entities, notices and the append-only event
//! tables. Constraints back the core's rules.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::columns::*;

transactional!(|m| {
    m.create_table(
        Table::create()
            .table("users")
            .col(uuid("id").primary_key())
            .col(text("email"))
            .col(text("email_key"))
            .col(text("name"))
            .col(text_null("phone"))
            .col(text("password_hash"))
            .col(time_null("email_verified_at"))
            .col(text_null("pending_email"))
            .col(text("mfa"))
            .col(time_null("mfa_since"))
            .col(text("recovery_codes"))
            .col(small("opted_out"))
            .col(big("preferences_version"))
            .col(text("status"))
            .col(time("created_at"))
            .col(time_null("last_login_at"))
            .col(big("version"))
            .take(),
    )
    .await?;
    // Unique user email, case-insensitively: the key is the lower-cased address.
    m.create_index(Index::create().name("users_email_key").table("users").col("email_key").unique().take()).await?;

    m.create_table(
        Table::create()
            .table("accounts")
            .col(uuid("id").primary_key())
            .col(text("display_name"))
            .col(text_null("company"))
            .col(text("primary_email"))
            .col(text_null("phone"))
            .col(text_null("address_lines"))
            .col(text_null("address_city"))
            .col(text_null("address_region"))
            .col(text_null("address_postal_code"))
            .col(text_null("address_country"))
            .col(text_null("tax_id"))
            .col(text("status"))
            .col(uuid("owner_id"))
            .col(time("created_at"))
            .col(uuid_null("last_review_by"))
            .col(time_null("last_review_at"))
            .col(big("version"))
            .foreign_key(&mut fk(("accounts", "owner_id"), ("users", "id")))
            .foreign_key(&mut fk(("accounts", "last_review_by"), ("users", "id")))
            .take(),
    )
    .await?;

    m.create_table(
        Table::create()
            .table("invites")
            .col(uuid("id").primary_key())
            .col(uuid("account_id"))
            .col(text("email"))
            .col(text("email_key"))
            .col(text_null("name"))
            .col(int("permissions"))
            .col(text_null("role"))
            .col(time_null("access_ends_at"))
            .col(uuid("invited_by"))
            .col(time("created_at"))
            .col(time("expires_at"))
            .col(int("sent_count"))
            .col(time("last_sent_at"))
            .col(text("state"))
            .col(uuid_null("state_by"))
            .col(time_null("state_at"))
            .col(text("token_digest"))
            .col(big("version"))
            .foreign_key(&mut fk(("invites", "account_id"), ("accounts", "id")))
            .foreign_key(&mut fk(("invites", "invited_by"), ("users", "id")))
            .take(),
    )
    .await?;
    m.create_index(Index::create().name("invites_account").table("invites").col("account_id").col("id").take()).await?;
    m.create_index(Index::create().name("invites_token").table("invites").col("token_digest").unique().take()).await?;
    // At most one pending invite per email and account (rule 6).
    m.create_index(
        Index::create()
            .name("invites_one_pending")
            .table("invites")
            .col("account_id")
            .col("email_key")
            .unique()
            .and_where(Expr::col("state").eq("pending"))
            .take(),
    )
    .await?;

    m.create_table(
        Table::create()
            .table("memberships")
            .col(uuid("account_id"))
            .col(uuid("user_id"))
            .col(col("is_owner").boolean().not_null())
            .col(int("permissions"))
            .col(text_null("role"))
            .col(uuid_null("invited_by"))
            .col(uuid_null("invite_id"))
            .col(uuid_null("granted_by"))
            .col(time("joined_at"))
            .col(time_null("ends_at"))
            .col(time_null("last_active_at"))
            .col(big("version"))
            // One membership per (account, user).
            .primary_key(Index::create().col("account_id").col("user_id"))
            .foreign_key(&mut fk(("memberships", "account_id"), ("accounts", "id")))
            .foreign_key(&mut fk(("memberships", "user_id"), ("users", "id")))
            .foreign_key(&mut fk(("memberships", "invited_by"), ("users", "id")))
            .foreign_key(&mut fk(("memberships", "granted_by"), ("users", "id")))
            .foreign_key(&mut fk(("memberships", "invite_id"), ("invites", "id")))
            .take(),
    )
    .await?;
    // Exactly one owner per account (rule 1): at most one here, at least one by the core.
    m.create_index(
        Index::create()
            .name("memberships_one_owner")
            .table("memberships")
            .col("account_id")
            .unique()
            .and_where(Expr::col("is_owner").eq(true))
            .take(),
    )
    .await?;
    m.create_index(
        Index::create().name("memberships_by_user").table("memberships").col("user_id").col("account_id").take(),
    )
    .await?;

    m.create_table(
        Table::create()
            .table("contacts")
            .col(uuid("id").primary_key())
            .col(uuid("account_id"))
            .col(text("name"))
            .col(text("email"))
            .col(text("email_key"))
            .col(text_null("phone"))
            .col(text_null("company"))
            .col(small("categories"))
            .col(time("created_at"))
            .col(big("version"))
            .foreign_key(&mut fk(("contacts", "account_id"), ("accounts", "id")))
            .take(),
    )
    .await?;
    m.create_index(Index::create().name("contacts_account").table("contacts").col("account_id").col("id").take())
        .await?;
    m.create_index(
        Index::create()
            .name("contacts_one_per_email")
            .table("contacts")
            .col("account_id")
            .col("email_key")
            .unique()
            .take(),
    )
    .await?;

    m.create_table(
        Table::create()
            .table("account_events")
            .col(uuid("account_id"))
            .col(big("seq"))
            .col(time("at"))
            .col(text("actor"))
            .col(text("kind"))
            .col(text("target"))
            .col(text("payload"))
            .primary_key(Index::create().col("account_id").col("seq"))
            .foreign_key(&mut fk(("account_events", "account_id"), ("accounts", "id")))
            .take(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("account_events_by_target")
            .table("account_events")
            .col("account_id")
            .col("target")
            .col("seq")
            .take(),
    )
    .await?;

    m.create_table(
        Table::create()
            .table("user_events")
            .col(uuid("user_id"))
            .col(big("seq"))
            .col(time("at"))
            .col(text("actor"))
            .col(text("kind"))
            .col(text("payload"))
            .primary_key(Index::create().col("user_id").col("seq"))
            .foreign_key(&mut fk(("user_events", "user_id"), ("users", "id")))
            .take(),
    )
    .await?;

    m.create_table(
        Table::create()
            .table("notices")
            .col(uuid("id").primary_key())
            .col(uuid("account_id"))
            .col(text("category"))
            .col(text("subject"))
            .col(time("at"))
            .col(text("recipients"))
            .foreign_key(&mut fk(("notices", "account_id"), ("accounts", "id")))
            .take(),
    )
    .await?;
    m.create_index(Index::create().name("notices_account").table("notices").col("account_id").col("id").take()).await?;

    // The audit tables are append-only, in the database itself as well as in the adapter.
    let db = m.get_connection();
    match m.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(
                "CREATE FUNCTION portal_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$",
            )
            .await?;
            for table in ["account_events", "user_events"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION portal_refuse_audit_change()"
                ))
                .await?;
            }
        }
        _ => {
            for table in ["account_events", "user_events"] {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_no_{op} BEFORE {op} ON {table} \
                         BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
                    ))
                    .await?;
                }
            }
        }
    }
    Ok(())
});
