//! The ports: what the core needs from the outside, as plain traits. Each method documents its
//! contract; the conformance suite (in `portal-testkit`) checks exactly those.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::account::{Access, Account, AccountEvent, AccountStatus, Contact, Invite, Membership, Target};
use crate::ids::{AccountId, ContactId, InviteId, NoticeId, SessionId, UserId};
use crate::notification::NotificationCategory;
use crate::routing::{Reason, Recipient};
use crate::user::{User, UserEvent, UserStatus};
use crate::values::{CompanyName, EmailAddress, Password, PasswordHash, PersonName, SealedSecret, TokenDigest};

mod error;
mod records;
mod services;
mod sessions;
mod store;

pub use error::*;
pub use records::*;
pub use services::*;
pub use sessions::*;
pub use store::*;
