//! Dead letters: an email that failed too often, or whose row no longer reads, stops being
//! retried; `dead_at` says when, and its token is blanked.

use sea_orm_migration::prelude::*;

use super::columns::time_null;

transactional!(|m| { m.alter_table(Table::alter().table("outbox").add_column(time_null("dead_at")).take()).await });
