//! Each rule's refusals, with the exact error and the rule it names.

use chrono::Duration;
use portal_domain::account::{AccountCommand, AccountStatus, EditMember, InviteStatus, ProfilePatch};
use portal_domain::ids::InviteId;
use portal_domain::permission::{Permission, PermissionSet, Role};
use portal_domain::values::{CompanyName, TokenDigest};
use portal_domain::{Actor, DomainError, Rule};

use crate::fixtures::*;

const ADMIN: u128 = 2;
const BILLING: u128 = 3;
const READER: u128 = 4;

fn team() -> portal_domain::Account {
    let mut a = account();
    join(&mut a, ADMIN, Role::Admin.permissions());
    join(&mut a, BILLING, Role::Billing.permissions());
    join(&mut a, READER, Role::ReadOnly.permissions());
    a
}

fn edit(user_n: u128, permissions: PermissionSet) -> AccountCommand {
    AccountCommand::EditMember(EditMember {
        user: user(user_n),
        permissions: Some(permissions),
        role: None,
        ends_at: None,
    })
}

fn refuse(a: &mut portal_domain::Account, actor: Actor, command: AccountCommand) -> DomainError {
    let before = a.clone();
    let err = run(a, actor, command, t0() + Duration::hours(1)).unwrap_err();
    assert_eq!(*a, before, "a refused command changed the state");
    err
}

#[test]
fn rule_1_the_owner_holds_every_permission_and_keeps_them() {
    let a = team();
    assert_eq!(a.owner(), user(OWNER));
    assert_eq!(a.permissions_of(user(OWNER), t0()), PermissionSet::ALL);
    assert_eq!(a.check_invariants(), Ok(()));
}

#[test]
fn rule_1_a_new_owner_gets_every_permission() {
    let mut a = team();
    run(&mut a, as_user(OWNER), AccountCommand::TransferOwnership { to: user(READER) }, t0()).unwrap();
    assert_eq!(a.owner(), user(READER));
    assert_eq!(a.permissions_of(user(READER), t0()), PermissionSet::ALL);
    assert_eq!(a.check_invariants(), Ok(()));
}

#[test]
fn rule_2_an_action_needs_its_permission() {
    let mut a = team();
    let e = refuse(&mut a, as_user(BILLING), invite_cmd(9, &email_of(9), PermissionSet::EMPTY, "x"));
    assert_eq!(e, DomainError::MissingPermission(Permission::UsersManage));
    assert_eq!(e.rule(), Some(Rule::DenyByDefault));
    let patch = ProfilePatch { display_name: Some(CompanyName::parse("Other").unwrap()), ..ProfilePatch::default() };
    let e = refuse(&mut a, as_user(ADMIN), AccountCommand::UpdateProfile(patch));
    assert_eq!(e, DomainError::MissingPermission(Permission::AccountProfileManage));
}

#[test]
fn rule_2_strangers_cannot_see_the_account() {
    let mut a = team();
    let e = refuse(&mut a, as_user(77), AccountCommand::Leave);
    assert_eq!(e, DomainError::AccountNotFound);
    let e = refuse(&mut a, Actor::Operator, AccountCommand::Close);
    assert_eq!(e, DomainError::AccountNotFound);
}

#[test]
fn rule_2_only_the_owner_closes_and_only_the_operator_reassigns() {
    let mut a = team();
    assert_eq!(refuse(&mut a, as_user(ADMIN), AccountCommand::Close), DomainError::OwnerOnly);
    let reassign = AccountCommand::ReassignOwner { to: user(ADMIN), remove_previous: false };
    assert_eq!(refuse(&mut a, as_user(OWNER), reassign), DomainError::OperatorOnly);
}

#[test]
fn rule_3_nobody_grants_what_they_lack() {
    let mut a = team();
    // Admin lacks nothing but the master profile; a billing+users member lacks the rest.
    run(&mut a, as_user(OWNER), edit(BILLING, Role::Billing.permissions().with(Permission::UsersManage)), t0())
        .unwrap();
    let wanted = PermissionSet::of(&[Permission::BillingView, Permission::ServicesManage]);
    let e = refuse(&mut a, as_user(BILLING), invite_cmd(9, &email_of(9), wanted, "x"));
    assert_eq!(e, DomainError::Escalation { missing: PermissionSet::of(&[Permission::ServicesManage]) });
    assert_eq!(e.rule(), Some(Rule::NoEscalation));
}

#[test]
fn rule_3_only_the_owner_grants_the_master_profile() {
    let mut a = team();
    // Even an admin who was given the master profile permission cannot hand it on.
    run(&mut a, as_user(OWNER), edit(ADMIN, PermissionSet::ALL), t0()).unwrap();
    let e = refuse(
        &mut a,
        as_user(ADMIN),
        invite_cmd(9, &email_of(9), PermissionSet::of(&[Permission::AccountProfileManage]), "x"),
    );
    assert_eq!(e, DomainError::OnlyOwnerGrantsProfile);
    let e = refuse(
        &mut a,
        as_user(ADMIN),
        edit(READER, Role::ReadOnly.permissions().with(Permission::AccountProfileManage)),
    );
    assert_eq!(e, DomainError::OnlyOwnerGrantsProfile);
    // The owner can.
    run(&mut a, as_user(OWNER), edit(READER, PermissionSet::of(&[Permission::AccountProfileManage])), t0()).unwrap();
}

#[test]
fn rule_3_nobody_edits_their_own_permissions() {
    let mut a = team();
    assert_eq!(refuse(&mut a, as_user(ADMIN), edit(ADMIN, PermissionSet::EMPTY)), DomainError::SelfEdit);
    assert_eq!(refuse(&mut a, as_user(OWNER), edit(OWNER, PermissionSet::EMPTY)), DomainError::SelfEdit);
}

#[test]
fn rule_4_the_owner_cannot_be_edited_or_removed() {
    let mut a = team();
    run(&mut a, as_user(OWNER), edit(ADMIN, PermissionSet::ALL), t0()).unwrap();
    let e = refuse(&mut a, as_user(ADMIN), edit(OWNER, PermissionSet::EMPTY));
    assert_eq!(e, DomainError::TargetIsOwner);
    assert_eq!(e.rule(), Some(Rule::ProtectedMembers));
    assert_eq!(
        refuse(&mut a, as_user(ADMIN), AccountCommand::RemoveMember { user: user(OWNER) }),
        DomainError::TargetIsOwner
    );
}

#[test]
fn rule_4_a_member_holding_more_is_out_of_reach() {
    let mut a = team();
    run(&mut a, as_user(OWNER), edit(READER, PermissionSet::of(&[Permission::UsersManage])), t0()).unwrap();
    let e = refuse(&mut a, as_user(READER), AccountCommand::RemoveMember { user: user(BILLING) });
    assert_eq!(e, DomainError::TargetOutranksActor { missing: Role::Billing.permissions() });
}

#[test]
fn rule_5_the_owner_cannot_leave_and_ownership_goes_only_to_a_member() {
    let mut a = team();
    let e = refuse(&mut a, as_user(OWNER), AccountCommand::Leave);
    assert_eq!(e, DomainError::OwnerCannotLeave);
    assert_eq!(e.rule(), Some(Rule::OwnerStays));
    assert_eq!(
        refuse(&mut a, as_user(OWNER), AccountCommand::TransferOwnership { to: user(99) }),
        DomainError::InvalidNewOwner
    );
    assert_eq!(
        refuse(&mut a, as_user(OWNER), AccountCommand::TransferOwnership { to: user(OWNER) }),
        DomainError::InvalidNewOwner
    );
    assert_eq!(
        refuse(&mut a, as_user(ADMIN), AccountCommand::TransferOwnership { to: user(ADMIN) }),
        DomainError::OwnerOnly
    );
}

#[test]
fn rule_5_the_operator_reassigns_a_gone_owner() {
    let mut a = team();
    run(&mut a, Actor::Operator, AccountCommand::ReassignOwner { to: user(ADMIN), remove_previous: true }, t0())
        .unwrap();
    assert_eq!(a.owner(), user(ADMIN));
    assert!(a.member(user(OWNER)).is_none());
    assert_eq!(a.check_invariants(), Ok(()));
}

#[test]
fn rule_6_an_invite_is_bound_to_its_email_and_a_verified_address() {
    let mut a = account();
    run(&mut a, as_user(OWNER), invite_cmd(9, &email_of(9), Role::Billing.permissions(), "tok"), t0()).unwrap();
    let e = refuse(&mut a, as_user(8), accept_cmd("tok", &email_of(8)));
    assert_eq!(e, DomainError::InviteEmailMismatch);
    assert_eq!(e.rule(), Some(Rule::Invites));
    let unverified =
        AccountCommand::AcceptInvite { token: TokenDigest::new("tok"), email: email_of(9), email_verified: false };
    assert_eq!(refuse(&mut a, as_user(9), unverified), DomainError::EmailNotVerified);
    // Email comparison ignores case.
    run(&mut a, as_user(9), accept_cmd("tok", &email("USER9@example.com")), t0()).unwrap();
}

#[test]
fn rule_6_an_invite_is_single_use() {
    let mut a = account();
    join(&mut a, 9, Role::Billing.permissions());
    let e = refuse(&mut a, as_user(10), accept_cmd("join-9", &email_of(9)));
    assert_eq!(e, DomainError::InviteNotPending(InviteStatus::Accepted));
}

#[test]
fn rule_6_an_invite_expires() {
    let mut a = account();
    run(&mut a, as_user(OWNER), invite_cmd(9, &email_of(9), PermissionSet::EMPTY, "tok"), t0()).unwrap();
    let late = t0() + Duration::days(7);
    let e = run(&mut a, as_user(9), accept_cmd("tok", &email_of(9)), late).unwrap_err();
    assert_eq!(e, DomainError::InviteExpired);
}

#[test]
fn rule_6_resend_kills_the_old_link_and_renews_the_expiry() {
    let mut a = account();
    let invite = InviteId::from_uuid(uuid::Uuid::from_u128(9));
    run(&mut a, as_user(OWNER), invite_cmd(9, &email_of(9), PermissionSet::EMPTY, "old"), t0()).unwrap();
    let later = t0() + Duration::days(6);
    run(&mut a, as_user(OWNER), AccountCommand::ResendInvite { invite, token: TokenDigest::new("new") }, later)
        .unwrap();
    assert_eq!(a.invite(invite).unwrap().sent_count(), 2);
    assert_eq!(a.invite(invite).unwrap().expires_at(), later + Duration::days(7));
    let e = run(&mut a, as_user(9), accept_cmd("old", &email_of(9)), later).unwrap_err();
    assert_eq!(e, DomainError::InviteNotFound);
    run(&mut a, as_user(9), accept_cmd("new", &email_of(9)), later + Duration::days(3)).unwrap();
}

#[test]
fn rule_6_cancel_kills_the_link() {
    let mut a = account();
    let invite = InviteId::from_uuid(uuid::Uuid::from_u128(9));
    run(&mut a, as_user(OWNER), invite_cmd(9, &email_of(9), PermissionSet::EMPTY, "tok"), t0()).unwrap();
    run(&mut a, as_user(OWNER), AccountCommand::CancelInvite { invite }, t0()).unwrap();
    let e = run(&mut a, as_user(9), accept_cmd("tok", &email_of(9)), t0()).unwrap_err();
    assert_eq!(e, DomainError::InviteNotPending(InviteStatus::Cancelled));
    let e = run(&mut a, as_user(OWNER), AccountCommand::CancelInvite { invite }, t0()).unwrap_err();
    assert_eq!(e, DomainError::InviteNotPending(InviteStatus::Cancelled));
}

#[test]
fn rule_6_no_invite_for_a_member_and_one_pending_per_email() {
    let mut a = account();
    join(&mut a, 9, PermissionSet::EMPTY);
    let mut cmd = invite_cmd(10, &email_of(9), PermissionSet::EMPTY, "t");
    if let AccountCommand::Invite(i) = &mut cmd {
        i.existing_user = Some(user(9));
    }
    assert_eq!(refuse(&mut a, as_user(OWNER), cmd), DomainError::AlreadyMember);
    run(&mut a, as_user(OWNER), invite_cmd(11, &email_of(12), PermissionSet::EMPTY, "a"), t0()).unwrap();
    let twice = invite_cmd(13, &email("USER12@example.com"), PermissionSet::EMPTY, "b");
    assert_eq!(refuse(&mut a, as_user(OWNER), twice), DomainError::InviteAlreadyPending);
}

#[test]
fn rule_7_a_removed_member_can_do_nothing_next() {
    let mut a = team();
    run(&mut a, as_user(OWNER), AccountCommand::RemoveMember { user: user(ADMIN) }, t0()).unwrap();
    let e = refuse(&mut a, as_user(ADMIN), invite_cmd(9, &email_of(9), PermissionSet::EMPTY, "x"));
    assert_eq!(e, DomainError::AccountNotFound);
    assert_eq!(a.permissions_of(user(ADMIN), t0()), PermissionSet::EMPTY);
}

#[test]
fn rule_7_an_ended_membership_grants_nothing() {
    let mut a = team();
    let end = t0() + Duration::days(30);
    let command = AccountCommand::EditMember(EditMember {
        user: user(ADMIN),
        permissions: None,
        role: None,
        ends_at: Some(Some(end)),
    });
    run(&mut a, as_user(OWNER), command, t0()).unwrap();
    assert!(a.permits(user(ADMIN), Permission::UsersManage, end - Duration::seconds(1)));
    assert!(!a.permits(user(ADMIN), Permission::UsersManage, end));
    let e = run(&mut a, as_user(ADMIN), AccountCommand::Leave, end).unwrap_err();
    assert_eq!(e, DomainError::AccountNotFound);
}

#[test]
fn rule_7_a_closed_account_changes_no_more() {
    let mut a = team();
    run(&mut a, as_user(OWNER), AccountCommand::Close, t0()).unwrap();
    assert_eq!(a.status(), AccountStatus::Closed);
    let e = refuse(&mut a, as_user(ADMIN), AccountCommand::Leave);
    assert_eq!(e, DomainError::AccountClosed);
    assert_eq!(e.rule(), Some(Rule::ImmediateEffect));
    assert_eq!(a.permissions_of(user(OWNER), t0()), PermissionSet::EMPTY);
}

#[test]
fn an_end_date_must_be_in_the_future() {
    let mut a = team();
    let command = AccountCommand::EditMember(EditMember {
        user: user(ADMIN),
        permissions: None,
        role: None,
        ends_at: Some(Some(t0())),
    });
    assert_eq!(
        refuse(&mut a, as_user(OWNER), command),
        DomainError::MemberEndDate(portal_domain::values::EndDateError::NotInFuture)
    );
}

#[test]
fn an_end_date_lies_at_most_ten_years_ahead_for_members_and_invites() {
    use portal_domain::values::EndDateError;
    let mut a = team();
    let edit_to = |end| {
        AccountCommand::EditMember(EditMember {
            user: user(ADMIN),
            permissions: None,
            role: None,
            ends_at: Some(Some(end)),
        })
    };
    // `refuse` decides an hour after t0.
    let now = t0() + Duration::hours(1);
    let ten_years = now.checked_add_months(chrono::Months::new(120)).unwrap();
    assert_eq!(
        refuse(&mut a, as_user(OWNER), edit_to(ten_years + Duration::seconds(1))),
        DomainError::MemberEndDate(EndDateError::TooFar)
    );
    run(&mut a, as_user(OWNER), edit_to(ten_years), now).unwrap();
    for (end, why) in [(now, EndDateError::NotInFuture), (ten_years + Duration::days(1), EndDateError::TooFar)] {
        let mut cmd = invite_cmd(20, &email_of(21), PermissionSet::EMPTY, "t");
        if let AccountCommand::Invite(i) = &mut cmd {
            i.offer.access_ends_at = Some(end);
        }
        assert_eq!(refuse(&mut a, as_user(OWNER), cmd), DomainError::InviteEndDate(why));
    }
}

#[test]
fn a_no_op_edit_records_nothing() {
    let mut a = team();
    let events = run(&mut a, as_user(OWNER), edit(ADMIN, Role::Admin.permissions()), t0()).unwrap();
    assert!(events.is_empty());
    let events = run(&mut a, as_user(OWNER), AccountCommand::UpdateProfile(ProfilePatch::default()), t0()).unwrap();
    assert!(events.is_empty());
}

#[test]
fn rule_3_an_invite_from_a_removed_member_no_longer_lets_anyone_in() {
    let mut a = team();
    run(&mut a, as_user(ADMIN), invite_cmd(9, &email_of(9), Role::ReadOnly.permissions(), "tok"), t0()).unwrap();
    run(&mut a, as_user(OWNER), AccountCommand::RemoveMember { user: user(ADMIN) }, t0()).unwrap();
    let e = refuse(&mut a, as_user(9), accept_cmd("tok", &email_of(9)));
    assert_eq!(e, DomainError::InviteNoLongerBacked);
    assert_eq!(e.rule(), Some(Rule::NoEscalation));
}

#[test]
fn rule_3_an_invite_is_backed_by_what_the_inviter_holds_when_it_is_accepted() {
    let mut a = team();
    run(&mut a, as_user(ADMIN), invite_cmd(9, &email_of(9), PermissionSet::of(&[Permission::BillingPay]), "tok"), t0())
        .unwrap();
    let reduced = Role::Admin.permissions().without(Permission::BillingPay);
    run(&mut a, as_user(OWNER), edit(ADMIN, reduced), t0()).unwrap();
    assert_eq!(refuse(&mut a, as_user(9), accept_cmd("tok", &email_of(9))), DomainError::InviteNoLongerBacked);
}
