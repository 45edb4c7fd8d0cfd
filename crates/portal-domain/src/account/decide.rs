//! The decisions: `(state, actor, command, now) -> events | error`. Every rule of the account lives here.

use chrono::{DateTime, Utc};

use super::routing::route;
use super::{
    Account, AccountChange, AccountCommand, AccountEvent, AccountStatus, ContactPatch, EditMember, INVITE_TTL,
    InviteMember, InviteOffer, InviteStatus, Membership, NewContact, Profile, ProfilePatch,
};
use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{AccountId, ContactId, InviteId, UserId};
use crate::permission::{Permission, PermissionSet};
use crate::values::TokenDigest;

/// Opens a new account owned by `owner` (signup, or a user creating another account).
pub fn open_account(id: AccountId, owner: UserId, profile: Profile, now: DateTime<Utc>) -> AccountEvent {
    AccountEvent { account: id, actor: Actor::User(owner), at: now, change: AccountChange::Opened { owner, profile } }
}

/// The actor as a member of the account at `now`, or why it cannot act there.
struct Member<'a> {
    user: UserId,
    membership: &'a Membership,
    is_owner: bool,
}

impl Member<'_> {
    fn permissions(&self) -> PermissionSet {
        self.membership.permissions
    }

    /// Rule 2: the action needs `permission`.
    fn require(&self, permission: Permission) -> Result<(), DomainError> {
        if self.permissions().contains(permission) { Ok(()) } else { Err(DomainError::MissingPermission(permission)) }
    }

    /// Rule 3: grant only what you hold; only the owner grants the master profile.
    fn may_grant(&self, granted: PermissionSet) -> Result<(), DomainError> {
        may_grant(self.permissions(), self.is_owner, granted)
    }

    /// Rules 3 and 4: the target is someone else, not the owner, and holds nothing the actor lacks.
    fn may_manage(&self, target: &Membership, owner: UserId) -> Result<(), DomainError> {
        if target.user == self.user {
            return Err(DomainError::SelfEdit);
        }
        if target.user == owner {
            return Err(DomainError::TargetIsOwner);
        }
        let missing = target.permissions.difference(self.permissions());
        if missing.is_empty() { Ok(()) } else { Err(DomainError::TargetOutranksActor { missing }) }
    }
}

/// Rule 3: a member holding `held` (the owner when `is_owner`) grants only what they hold, and
/// only the owner grants the master profile.
pub(super) fn may_grant(held: PermissionSet, is_owner: bool, granted: PermissionSet) -> Result<(), DomainError> {
    if granted.contains(Permission::AccountProfileManage) && !is_owner {
        return Err(DomainError::OnlyOwnerGrantsProfile);
    }
    let missing = granted.difference(held);
    if missing.is_empty() { Ok(()) } else { Err(DomainError::Escalation { missing }) }
}

impl Account {
    /// Decides a command: the events it yields, or the rule that refuses it. Pure: the same
    /// state, actor, command and `now` always give the same answer.
    pub fn decide(
        &self,
        actor: &Actor,
        command: AccountCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountEvent>, DomainError> {
        let changes = self.changes(actor, command, now)?;
        Ok(changes
            .into_iter()
            .map(|change| AccountEvent { account: self.id, actor: *actor, at: now, change })
            .collect())
    }

    fn changes(
        &self,
        actor: &Actor,
        command: AccountCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountChange>, DomainError> {
        use AccountCommand as C;
        // Operator commands first: the operator is not a member.
        match command {
            C::ReassignOwner { to, remove_previous } => return self.reassign_owner(actor, to, remove_previous, now),
            C::RecordNotice { notice, category, subject, directory } => {
                if *actor != Actor::Operator {
                    return Err(self.refuse_non_operator(actor, now));
                }
                self.require_open()?;
                let recipients = route(self, &directory, category, now);
                return Ok(vec![AccountChange::NoticeRecorded { notice, category, subject, recipients }]);
            }
            C::DeclineInvite { token } => return self.decline(&token, now),
            C::AcceptInvite { token, email, email_verified } => {
                let Actor::User(user) = *actor else { return Err(DomainError::InviteNotFound) };
                return self.accept(user, &token, &email, email_verified, now);
            }
            _ => {}
        }

        let member = self.acting_member(actor, now)?;
        self.require_open()?;
        match command {
            C::UpdateProfile(patch) => {
                member.require(Permission::AccountProfileManage)?;
                Ok(self
                    .profile_changes(patch)
                    .map(|patch| AccountChange::ProfileUpdated { patch })
                    .into_iter()
                    .collect())
            }
            C::Invite(invite) => self.invite_member(&member, invite, now),
            C::ResendInvite { invite, token } => self.resend(&member, invite, token, now),
            C::CancelInvite { invite } => {
                member.require(Permission::UsersManage)?;
                self.open_invite(invite, now)?;
                Ok(vec![AccountChange::InviteCancelled { invite }])
            }
            C::EditMember(edit) => self.edit_member(&member, edit, now),
            C::RemoveMember { user } => {
                member.require(Permission::UsersManage)?;
                let target = self.members.get(&user).ok_or(DomainError::MemberNotFound)?;
                member.may_manage(target, self.owner)?;
                Ok(vec![AccountChange::MemberRemoved { user }])
            }
            C::Leave => {
                if member.is_owner {
                    return Err(DomainError::OwnerCannotLeave);
                }
                Ok(vec![AccountChange::MemberLeft { user: member.user }])
            }
            C::TransferOwnership { to } => {
                if !member.is_owner {
                    return Err(DomainError::OwnerOnly);
                }
                self.check_new_owner(to, now)?;
                Ok(vec![AccountChange::OwnershipTransferred { from: member.user, to }])
            }
            C::Close => {
                if !member.is_owner {
                    return Err(DomainError::OwnerOnly);
                }
                Ok(vec![AccountChange::Closed])
            }
            C::AddContact(contact) => {
                member.require(Permission::ContactsManage)?;
                self.add_contact(contact)
            }
            C::EditContact { contact, patch } => {
                member.require(Permission::ContactsManage)?;
                self.edit_contact(contact, patch)
            }
            C::RemoveContact { contact } => {
                member.require(Permission::ContactsManage)?;
                self.contacts.get(&contact).ok_or(DomainError::ContactNotFound)?;
                Ok(vec![AccountChange::ContactRemoved { contact }])
            }
            C::RecordAccessReview { confirmed, removed } => self.record_review(&member, confirmed, removed),
            C::ReassignOwner { .. } | C::RecordNotice { .. } | C::DeclineInvite { .. } | C::AcceptInvite { .. } => {
                Err(DomainError::OperatorOnly)
            }
        }
    }

    /// Rule 7: only a current member of the account acts in it; anyone else cannot see it.
    fn acting_member(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Member<'_>, DomainError> {
        let Actor::User(user) = *actor else { return Err(DomainError::AccountNotFound) };
        match self.members.get(&user) {
            Some(membership) if membership.is_active(now) => {
                Ok(Member { user, membership, is_owner: user == self.owner })
            }
            _ => Err(DomainError::AccountNotFound),
        }
    }

    fn refuse_non_operator(&self, actor: &Actor, now: DateTime<Utc>) -> DomainError {
        match self.acting_member(actor, now) {
            Ok(_) => DomainError::OperatorOnly,
            Err(e) => e,
        }
    }

    fn require_open(&self) -> Result<(), DomainError> {
        match self.status {
            AccountStatus::Active => Ok(()),
            AccountStatus::Closed => Err(DomainError::AccountClosed),
        }
    }

    /// Keeps only the fields that differ, so a no-op PATCH records nothing.
    fn profile_changes(&self, patch: ProfilePatch) -> Option<ProfilePatch> {
        let p = &self.profile;
        let changed = ProfilePatch {
            display_name: patch.display_name.filter(|v| *v != p.display_name),
            company: patch.company.filter(|v| *v != p.company),
            primary_email: patch.primary_email.filter(|v| v.as_str() != p.primary_email.as_str()),
            phone: patch.phone.filter(|v| *v != p.phone),
            address: patch.address.filter(|v| *v != p.address),
            tax_id: patch.tax_id.filter(|v| *v != p.tax_id),
        };
        (!changed.is_empty()).then_some(changed)
    }

    fn invite_member(
        &self,
        member: &Member<'_>,
        cmd: InviteMember,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountChange>, DomainError> {
        member.require(Permission::UsersManage)?;
        let InviteMember { id, offer, token, existing_user } = cmd;
        member.may_grant(offer.permissions)?;
        if let Some(end) = offer.access_ends_at {
            crate::values::check_end_date(end, now).map_err(DomainError::InviteEndDate)?;
        }
        if let Some(user) = existing_user
            && self.members.get(&user).is_some_and(|m| m.is_active(now))
        {
            return Err(DomainError::AlreadyMember);
        }
        if self.invites.contains_key(&id) {
            return Err(DomainError::InviteAlreadyPending);
        }
        if self.invites.values().any(|i| i.is_open() && i.email == offer.email) {
            return Err(DomainError::InviteAlreadyPending);
        }
        let InviteOffer { email, name, permissions, role, access_ends_at } = offer;
        Ok(vec![AccountChange::MemberInvited {
            invite: id,
            email,
            name,
            permissions,
            role,
            access_ends_at,
            expires_at: now + INVITE_TTL,
            token,
        }])
    }

    fn open_invite(&self, id: InviteId, now: DateTime<Utc>) -> Result<&super::Invite, DomainError> {
        let invite = self.invites.get(&id).ok_or(DomainError::InviteNotFound)?;
        if !invite.is_open() {
            return Err(DomainError::InviteNotPending(invite.status(now)));
        }
        Ok(invite)
    }

    fn resend(
        &self,
        member: &Member<'_>,
        id: InviteId,
        token: TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountChange>, DomainError> {
        member.require(Permission::UsersManage)?;
        let invite = self.open_invite(id, now)?;
        // Re-sending renews a grant, so it is held to rule 3 like the first send.
        member.may_grant(invite.permissions)?;
        Ok(vec![AccountChange::InviteResent { invite: id, expires_at: now + INVITE_TTL, token }])
    }

    /// Rule 6, for the token's holder.
    fn pending_by_token(&self, token: &TokenDigest, now: DateTime<Utc>) -> Result<&super::Invite, DomainError> {
        let invite = self.invite_by_token(token).ok_or(DomainError::InviteNotFound)?;
        match invite.status(now) {
            InviteStatus::Pending => Ok(invite),
            InviteStatus::Expired => Err(DomainError::InviteExpired),
            other => Err(DomainError::InviteNotPending(other)),
        }
    }

    fn accept(
        &self,
        user: UserId,
        token: &TokenDigest,
        email: &crate::values::EmailAddress,
        email_verified: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountChange>, DomainError> {
        let invite = self.pending_by_token(token, now)?;
        self.require_open()?;
        if invite.email != *email {
            return Err(DomainError::InviteEmailMismatch);
        }
        if !email_verified {
            return Err(DomainError::EmailNotVerified);
        }
        if self.members.get(&user).is_some_and(|m| m.is_active(now)) {
            return Err(DomainError::AlreadyMember);
        }
        // The grant takes effect now, so rule 3 is checked against the inviter as they are now.
        let inviter = self.members.get(&invite.invited_by).filter(|m| m.is_active(now));
        let backed = inviter.is_some_and(|m| {
            m.permissions.is_superset(invite.permissions)
                && (!invite.permissions.contains(Permission::AccountProfileManage) || m.user == self.owner)
        });
        if !backed {
            return Err(DomainError::InviteNoLongerBacked);
        }
        // An end date that passed while the invite waited would make a membership that grants nothing.
        let ends_at = invite.access_ends_at.filter(|end| *end > now);
        if invite.access_ends_at.is_some() && ends_at.is_none() {
            return Err(DomainError::InviteExpired);
        }
        Ok(vec![AccountChange::InviteAccepted {
            invite: invite.id,
            user,
            permissions: invite.permissions,
            role: invite.role.clone(),
            invited_by: invite.invited_by,
            ends_at,
        }])
    }

    fn decline(&self, token: &TokenDigest, now: DateTime<Utc>) -> Result<Vec<AccountChange>, DomainError> {
        let invite = self.invite_by_token(token).ok_or(DomainError::InviteNotFound)?;
        if !invite.is_open() {
            return Err(DomainError::InviteNotPending(invite.status(now)));
        }
        self.require_open()?;
        Ok(vec![AccountChange::InviteDeclined { invite: invite.id }])
    }

    fn edit_member(
        &self,
        member: &Member<'_>,
        edit: EditMember,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountChange>, DomainError> {
        member.require(Permission::UsersManage)?;
        let target = self.members.get(&edit.user).ok_or(DomainError::MemberNotFound)?;
        member.may_manage(target, self.owner)?;
        let permissions = edit.permissions.filter(|p| *p != target.permissions);
        if let Some(p) = permissions {
            member.may_grant(p.difference(target.permissions))?;
        }
        let role = edit.role.filter(|r| *r != target.role);
        let ends_at = edit.ends_at.filter(|e| *e != target.ends_at);
        if let Some(Some(end)) = ends_at {
            crate::values::check_end_date(end, now).map_err(DomainError::MemberEndDate)?;
        }
        if permissions.is_none() && role.is_none() && ends_at.is_none() {
            return Ok(vec![]);
        }
        Ok(vec![AccountChange::MemberEdited { user: edit.user, permissions, role, ends_at }])
    }

    fn check_new_owner(&self, to: UserId, now: DateTime<Utc>) -> Result<(), DomainError> {
        match self.members.get(&to) {
            Some(m) if m.is_active(now) && to != self.owner => Ok(()),
            _ => Err(DomainError::InvalidNewOwner),
        }
    }

    fn reassign_owner(
        &self,
        actor: &Actor,
        to: UserId,
        remove_previous: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountChange>, DomainError> {
        if *actor != Actor::Operator {
            return Err(self.refuse_non_operator(actor, now));
        }
        self.require_open()?;
        self.check_new_owner(to, now)?;
        let from = self.owner;
        let mut changes = vec![AccountChange::OwnershipTransferred { from, to }];
        if remove_previous {
            changes.push(AccountChange::MemberRemoved { user: from });
        }
        Ok(changes)
    }

    fn add_contact(&self, c: NewContact) -> Result<Vec<AccountChange>, DomainError> {
        if self.contacts.contains_key(&c.id) || self.contacts.values().any(|x| x.email == c.email) {
            return Err(DomainError::ContactEmailTaken);
        }
        Ok(vec![AccountChange::ContactAdded {
            contact: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            company: c.company,
            categories: c.categories,
        }])
    }

    fn edit_contact(&self, id: ContactId, patch: ContactPatch) -> Result<Vec<AccountChange>, DomainError> {
        let c = self.contacts.get(&id).ok_or(DomainError::ContactNotFound)?;
        let changed = ContactPatch {
            name: patch.name.filter(|v| *v != c.name),
            email: patch.email.filter(|v| v.as_str() != c.email.as_str()),
            phone: patch.phone.filter(|v| *v != c.phone),
            company: patch.company.filter(|v| *v != c.company),
            categories: patch.categories.filter(|v| *v != c.categories),
        };
        if let Some(email) = &changed.email
            && self.contacts.values().any(|x| x.id != id && x.email == *email)
        {
            return Err(DomainError::ContactEmailTaken);
        }
        if changed.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![AccountChange::ContactEdited { contact: id, patch: changed }])
    }

    fn record_review(
        &self,
        member: &Member<'_>,
        mut confirmed: Vec<UserId>,
        mut removed: Vec<UserId>,
    ) -> Result<Vec<AccountChange>, DomainError> {
        member.require(Permission::UsersManage)?;
        confirmed.sort_unstable();
        confirmed.dedup();
        removed.sort_unstable();
        removed.dedup();
        if let Some(both) = confirmed.iter().find(|u| removed.binary_search(u).is_ok()) {
            return Err(DomainError::ConfirmedAndRemoved(*both));
        }
        for user in &confirmed {
            self.members.get(user).ok_or(DomainError::MemberNotFound)?;
        }
        let mut changes = Vec::with_capacity(removed.len() + 1);
        for user in &removed {
            let target = self.members.get(user).ok_or(DomainError::MemberNotFound)?;
            member.may_manage(target, self.owner)?;
            changes.push(AccountChange::MemberRemoved { user: *user });
        }
        changes.push(AccountChange::AccessReviewRecorded { confirmed, removed });
        Ok(changes)
    }
}
