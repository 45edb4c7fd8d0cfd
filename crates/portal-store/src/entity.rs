//! The tables, as SeaORM entities. Private to the store: no SeaORM type leaves this crate.

#![allow(missing_docs)]

/// An entity's row struct, written once: the SeaORM model, and how the SQLite fast path decodes
/// a row of it (its columns in this order, from the first given), so a new column is one line
/// here and nothing in `sqlite/`.
macro_rules! model {
    ($table:literal { $( $(#[$attr:meta])* $field:ident : $ty:ty ),* $(,)? }) => {
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            $( $(#[$attr])* pub $field: $ty, )*
        }

        impl crate::sqlite::Decode for Model {
            #[allow(unused_assignments, reason = "the last column's index is never read")]
            fn decode(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
                let mut i = at;
                Ok(Self {
                    $( $field: {
                        let value = <$ty as crate::sqlite::Cell>::read(r, i)?;
                        i += 1;
                        value
                    }, )*
                })
            }
        }
    };
}

pub(crate) mod users {
    use sea_orm::entity::prelude::*;

    model!("users" {
        #[sea_orm(primary_key, auto_increment = false)]
        id: Uuid,
        email: String,
        email_key: String,
        name: String,
        phone: Option<String>,
        password_hash: String,
        email_verified_at: Option<DateTimeUtc>,
        pending_email: Option<String>,
        mfa: String,
        mfa_since: Option<DateTimeUtc>,
        recovery_codes: String,
        mfa_secret: Option<String>,
        mfa_last_step: Option<i64>,
        opted_out: i16,
        preferences_version: i64,
        status: String,
        created_at: DateTimeUtc,
        last_login_at: Option<DateTimeUtc>,
        version: i64,
    });

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod accounts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub display_name: String,
        pub company: Option<String>,
        pub primary_email: String,
        pub phone: Option<String>,
        pub address_lines: Option<String>,
        pub address_city: Option<String>,
        pub address_region: Option<String>,
        pub address_postal_code: Option<String>,
        pub address_country: Option<String>,
        pub tax_id: Option<String>,
        pub status: String,
        pub owner_id: Uuid,
        pub created_at: DateTimeUtc,
        pub last_review_by: Option<Uuid>,
        pub last_review_at: Option<DateTimeUtc>,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod memberships {
    use sea_orm::entity::prelude::*;

    model!("memberships" {
        #[sea_orm(primary_key, auto_increment = false)]
        account_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        user_id: Uuid,
        is_owner: bool,
        permissions: i32,
        role: Option<String>,
        invited_by: Option<Uuid>,
        invite_id: Option<Uuid>,
        granted_by: Option<Uuid>,
        joined_at: DateTimeUtc,
        ends_at: Option<DateTimeUtc>,
        last_active_at: Option<DateTimeUtc>,
        version: i64,
    });

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::accounts::Entity",
            from = "Column::AccountId",
            to = "super::accounts::Column::Id"
        )]
        Account,
    }

    impl Related<super::accounts::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Account.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod invites {
    use sea_orm::entity::prelude::*;

    model!("invites" {
        #[sea_orm(primary_key, auto_increment = false)]
        id: Uuid,
        account_id: Uuid,
        email: String,
        email_key: String,
        name: Option<String>,
        permissions: i32,
        role: Option<String>,
        access_ends_at: Option<DateTimeUtc>,
        invited_by: Uuid,
        created_at: DateTimeUtc,
        expires_at: DateTimeUtc,
        sent_count: i32,
        last_sent_at: DateTimeUtc,
        state: String,
        state_by: Option<Uuid>,
        state_at: Option<DateTimeUtc>,
        token_digest: Option<String>,
        version: i64,
    });

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod contacts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "contacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub account_id: Uuid,
        pub name: String,
        pub email: String,
        pub email_key: String,
        pub phone: Option<String>,
        pub company: Option<String>,
        pub categories: i16,
        pub created_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod account_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub at: DateTimeUtc,
        pub actor: String,
        pub kind: String,
        pub target: String,
        pub payload: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod user_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub at: DateTimeUtc,
        pub actor: String,
        pub kind: String,
        pub payload: String,
        pub client_address: Option<String>,
        pub user_agent: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod notices {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub account_id: Uuid,
        pub category: String,
        pub subject: String,
        pub at: DateTimeUtc,
        pub recipients: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub created_at: DateTimeUtc,
        pub recipient: String,
        pub payload: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub claimed_until: Option<DateTimeUtc>,
        pub sent_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub dead_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod sessions {
    use sea_orm::entity::prelude::*;

    model!("sessions" {
        #[sea_orm(primary_key, auto_increment = false)]
        token_digest: String,
        id: Uuid,
        user_id: Uuid,
        created_at: DateTimeUtc,
        last_seen_at: DateTimeUtc,
        idle_expires_at: DateTimeUtc,
        absolute_expires_at: DateTimeUtc,
        client_address: String,
        user_agent: String,
        authenticated_at: Option<DateTimeUtc>,
    });

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod user_tokens {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub digest: String,
        pub user_id: Uuid,
        pub purpose: String,
        pub binding: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod user_clients {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_clients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_key: String,
        pub last_seen_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
