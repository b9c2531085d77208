//! Partners, attributions, rules, the commission ledger, payouts and ingestion records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Partners {
    Table,
    Id,
    TenantId,
    PartnerNumber,
    Name,
    Status,
    Tier,
    DefaultModel,
    DefaultRateMicros,
    DefaultFeeMinor,
    DefaultFeeCurrency,
    DefaultTiers,
    HoldDays,
    MinimumPayouts,
    ContactEmail,
    TaxId,
    LockSeq,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PartnerUsers {
    Table,
    Id,
    TenantId,
    PartnerId,
    Email,
    Name,
    Role,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    TenantId,
    CustomerId,
    LockSeq,
}

#[derive(DeriveIden, Clone, Copy)]
enum PartnerAccounts {
    Table,
    Id,
    TenantId,
    PartnerId,
    CustomerId,
    StartAt,
    EndAt,
    CustomRateMicros,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommissionRules {
    Table,
    Id,
    TenantId,
    PartnerId,
    Name,
    Model,
    RateMicros,
    FeeMinor,
    FeeCurrency,
    Tiers,
    ProductIds,
    CustomerIds,
    EffectiveFrom,
    EffectiveTo,
    Priority,
    MaxDurationMonths,
    CapMinor,
    CapCurrency,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payouts {
    Table,
    Id,
    TenantId,
    PartnerId,
    Currency,
    TotalMinor,
    CommissionCount,
    Status,
    PeriodStart,
    PeriodEnd,
    PaymentMethod,
    PaymentReference,
    FailureReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    CompletedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommissionEvents {
    Table,
    Id,
    TenantId,
    PartnerId,
    EventType,
    Status,
    AmountMinor,
    Currency,
    EventDate,
    PaymentId,
    RefundId,
    InvoiceId,
    InvoiceNumber,
    CustomerId,
    BaseMinor,
    RateMicros,
    FeeMinor,
    RuleId,
    TermsSource,
    OriginalEventId,
    HoldUntil,
    PayoutId,
    ApprovedAt,
    PaidAt,
    RejectedAt,
    RejectionReason,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    TenantId,
    PaymentId,
    InvoiceId,
    InvoiceNumber,
    CustomerId,
    AmountMinor,
    Currency,
    PaidAt,
    ProductIds,
    Outcome,
    PartnerId,
    EventId,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Refunds {
    Table,
    TenantId,
    RefundId,
    PaymentId,
    AmountMinor,
    Currency,
    RefundedAt,
    Outcome,
    EventId,
    RecordedAt,
}

/// A short string column restricted to `values` (portable enum).
fn one_of<T: IntoIden + Copy + 'static>(col: T, values: &[&str]) -> ColumnDef {
    let mut c = string_len(col, 24);
    c.check(Expr::col(col).is_in(values.iter().map(|v| String::from(*v))));
    c
}

fn one_of_null<T: IntoIden + Copy + 'static>(col: T, values: &[&str]) -> ColumnDef {
    let mut c = string_len_null(col, 24);
    c.check(
        Expr::col(col)
            .is_null()
            .or(Expr::col(col).is_in(values.iter().map(|v| String::from(*v)))),
    );
    c
}

fn currency<T: IntoIden>(col: T) -> ColumnDef {
    string_len(col, 3)
}

const MODELS: &[&str] = &["revenue_share", "flat_fee", "tiered", "hybrid"];

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Partners::Table)
                .col(pk_uuid(Partners::Id))
                .col(uuid(Partners::TenantId))
                .col(string_len(Partners::PartnerNumber, 32))
                .col(string_len(Partners::Name, 200))
                .col(one_of(
                    Partners::Status,
                    &["pending", "active", "suspended", "terminated", "archived"],
                ))
                .col(one_of(
                    Partners::Tier,
                    &["bronze", "silver", "gold", "platinum", "direct"],
                ))
                .col(one_of_null(Partners::DefaultModel, MODELS))
                .col(big_integer_null(Partners::DefaultRateMicros))
                .col(big_integer_null(Partners::DefaultFeeMinor))
                .col(string_len_null(Partners::DefaultFeeCurrency, 3))
                .col(text_null(Partners::DefaultTiers))
                .col(integer(Partners::HoldDays).default(0))
                .col(text(Partners::MinimumPayouts))
                .col(string_len_null(Partners::ContactEmail, 254))
                .col(string_len_null(Partners::TaxId, 64))
                .col(big_integer(Partners::LockSeq).default(0))
                .col(big_integer(Partners::CreatedAt))
                .col(big_integer(Partners::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_partners_tenant_number",
                Partners::Table,
                &["tenant_id", "partner_number"],
            )
            .unique()
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PartnerUsers::Table)
                .col(pk_uuid(PartnerUsers::Id))
                .col(uuid(PartnerUsers::TenantId))
                .col(uuid(PartnerUsers::PartnerId))
                .col(string_len(PartnerUsers::Email, 254))
                .col(string_len(PartnerUsers::Name, 200))
                .col(one_of(
                    PartnerUsers::Role,
                    &["owner", "admin", "finance", "account_manager"],
                ))
                .col(text_null(PartnerUsers::PasswordHash))
                .col(big_integer(PartnerUsers::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_partner_users_partner")
                        .from(PartnerUsers::Table, PartnerUsers::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_partner_users_tenant_email",
                PartnerUsers::Table,
                &["tenant_id", "email"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_partner_users_partner",
            PartnerUsers::Table,
            &["tenant_id", "partner_id"],
        ))
        .await?;

        // One row per customer: locked while its attributions change, so two concurrent
        // attributions can never overlap.
        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(uuid(Customers::TenantId))
                .col(string_len(Customers::CustomerId, 128))
                .col(big_integer(Customers::LockSeq).default(0))
                .primary_key(
                    Index::create()
                        .col(Customers::TenantId)
                        .col(Customers::CustomerId),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PartnerAccounts::Table)
                .col(pk_uuid(PartnerAccounts::Id))
                .col(uuid(PartnerAccounts::TenantId))
                .col(uuid(PartnerAccounts::PartnerId))
                .col(string_len(PartnerAccounts::CustomerId, 128))
                .col(big_integer(PartnerAccounts::StartAt))
                .col(big_integer_null(PartnerAccounts::EndAt))
                .col(big_integer_null(PartnerAccounts::CustomRateMicros))
                .col(big_integer(PartnerAccounts::CreatedAt))
                .check(
                    Expr::col(PartnerAccounts::EndAt)
                        .is_null()
                        .or(Expr::col(PartnerAccounts::EndAt)
                            .gt(Expr::col(PartnerAccounts::StartAt))),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_partner_accounts_partner")
                        .from(PartnerAccounts::Table, PartnerAccounts::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_partner_accounts_customer")
                        .from(
                            PartnerAccounts::Table,
                            (PartnerAccounts::TenantId, PartnerAccounts::CustomerId),
                        )
                        .to(
                            Customers::Table,
                            (Customers::TenantId, Customers::CustomerId),
                        ),
                )
                .to_owned(),
        )
        .await?;
        // Attribution lookup: customer in force at an instant.
        m.create_index(index(
            "ix_partner_accounts_customer",
            PartnerAccounts::Table,
            &["tenant_id", "customer_id", "start_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_partner_accounts_partner",
            PartnerAccounts::Table,
            &["tenant_id", "partner_id"],
        ))
        .await?;
        // Belt and braces for "at most one attribution in force": at most one open-ended
        // attribution per customer (overlaps of bounded windows are refused under the
        // customer's lock).
        m.create_index(
            index(
                "ux_partner_accounts_open",
                PartnerAccounts::Table,
                &["tenant_id", "customer_id"],
            )
            .unique()
            .and_where(Expr::col(PartnerAccounts::EndAt).is_null())
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CommissionRules::Table)
                .col(pk_uuid(CommissionRules::Id))
                .col(uuid(CommissionRules::TenantId))
                .col(uuid(CommissionRules::PartnerId))
                .col(string_len(CommissionRules::Name, 200))
                .col(one_of(CommissionRules::Model, MODELS))
                .col(big_integer_null(CommissionRules::RateMicros))
                .col(big_integer_null(CommissionRules::FeeMinor))
                .col(string_len_null(CommissionRules::FeeCurrency, 3))
                .col(text_null(CommissionRules::Tiers))
                .col(text(CommissionRules::ProductIds))
                .col(text(CommissionRules::CustomerIds))
                .col(big_integer(CommissionRules::EffectiveFrom))
                .col(big_integer_null(CommissionRules::EffectiveTo))
                .col(integer(CommissionRules::Priority))
                .col(integer_null(CommissionRules::MaxDurationMonths))
                .col(big_integer_null(CommissionRules::CapMinor))
                .col(string_len_null(CommissionRules::CapCurrency, 3))
                .col(boolean(CommissionRules::Active))
                .col(big_integer(CommissionRules::CreatedAt))
                .col(big_integer(CommissionRules::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_commission_rules_partner")
                        .from(CommissionRules::Table, CommissionRules::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_commission_rules_partner",
            CommissionRules::Table,
            &["tenant_id", "partner_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Payouts::Table)
                .col(pk_uuid(Payouts::Id))
                .col(uuid(Payouts::TenantId))
                .col(uuid(Payouts::PartnerId))
                .col(currency(Payouts::Currency))
                .col(big_integer(Payouts::TotalMinor))
                .col(big_integer(Payouts::CommissionCount))
                .col(one_of(
                    Payouts::Status,
                    &[
                        "pending",
                        "ready",
                        "processing",
                        "completed",
                        "failed",
                        "cancelled",
                    ],
                ))
                .col(big_integer_null(Payouts::PeriodStart))
                .col(big_integer(Payouts::PeriodEnd))
                .col(string_len(Payouts::PaymentMethod, 255))
                .col(string_len_null(Payouts::PaymentReference, 255))
                .col(text_null(Payouts::FailureReason))
                .col(string_len(Payouts::CreatedBy, 255))
                .col(big_integer(Payouts::CreatedAt))
                .col(big_integer(Payouts::UpdatedAt))
                .col(big_integer_null(Payouts::CompletedAt))
                // A completed payout always names the bank's reference.
                .check(
                    Expr::col(Payouts::Status)
                        .ne("completed")
                        .or(Expr::col(Payouts::PaymentReference).is_not_null()),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_payouts_partner")
                        .from(Payouts::Table, Payouts::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_payouts_partner_status",
            Payouts::Table,
            &["tenant_id", "partner_id", "status", "created_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_payouts_partner_completed",
            Payouts::Table,
            &["tenant_id", "partner_id", "completed_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_payouts_tenant_created",
            Payouts::Table,
            &["tenant_id", "created_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(CommissionEvents::Table)
                .col(pk_uuid(CommissionEvents::Id))
                .col(uuid(CommissionEvents::TenantId))
                .col(uuid(CommissionEvents::PartnerId))
                .col(one_of(
                    CommissionEvents::EventType,
                    &[
                        "invoice_payment",
                        "refund_adjustment",
                        "clawback",
                        "manual_adjustment",
                    ],
                ))
                .col(one_of(
                    CommissionEvents::Status,
                    &["pending", "approved", "paid", "rejected"],
                ))
                .col(big_integer(CommissionEvents::AmountMinor))
                .col(currency(CommissionEvents::Currency))
                .col(big_integer(CommissionEvents::EventDate))
                .col(string_len_null(CommissionEvents::PaymentId, 128))
                .col(string_len_null(CommissionEvents::RefundId, 128))
                .col(string_len_null(CommissionEvents::InvoiceId, 128))
                .col(string_len_null(CommissionEvents::InvoiceNumber, 64))
                .col(string_len_null(CommissionEvents::CustomerId, 128))
                .col(big_integer_null(CommissionEvents::BaseMinor))
                .col(big_integer_null(CommissionEvents::RateMicros))
                .col(big_integer_null(CommissionEvents::FeeMinor))
                .col(uuid_null(CommissionEvents::RuleId))
                .col(one_of(
                    CommissionEvents::TermsSource,
                    &["custom_rate", "rule", "partner_default", "manual", "refund"],
                ))
                .col(uuid_null(CommissionEvents::OriginalEventId))
                .col(big_integer_null(CommissionEvents::HoldUntil))
                .col(uuid_null(CommissionEvents::PayoutId))
                .col(big_integer_null(CommissionEvents::ApprovedAt))
                .col(big_integer_null(CommissionEvents::PaidAt))
                .col(big_integer_null(CommissionEvents::RejectedAt))
                .col(text_null(CommissionEvents::RejectionReason))
                .col(text_null(CommissionEvents::Note))
                .col(string_len(CommissionEvents::CreatedBy, 255))
                .col(big_integer(CommissionEvents::CreatedAt))
                // Sign follows type: payments earn, refunds and clawbacks take back.
                .check(
                    Expr::col(CommissionEvents::EventType)
                        .ne("invoice_payment")
                        .or(Expr::col(CommissionEvents::AmountMinor).gt(0)),
                )
                .check(
                    Expr::col(CommissionEvents::EventType)
                        .is_not_in(["refund_adjustment", "clawback"])
                        .or(Expr::col(CommissionEvents::AmountMinor).lt(0)),
                )
                // A paid event belongs to a payout; a rejected one to none.
                .check(
                    Expr::col(CommissionEvents::Status)
                        .ne("paid")
                        .or(Expr::col(CommissionEvents::PayoutId).is_not_null()),
                )
                .check(
                    Expr::col(CommissionEvents::Status)
                        .ne("rejected")
                        .or(Expr::col(CommissionEvents::PayoutId).is_null()),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_commission_events_partner")
                        .from(CommissionEvents::Table, CommissionEvents::PartnerId)
                        .to(Partners::Table, Partners::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_commission_events_rule")
                        .from(CommissionEvents::Table, CommissionEvents::RuleId)
                        .to(CommissionRules::Table, CommissionRules::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_commission_events_payout")
                        .from(CommissionEvents::Table, CommissionEvents::PayoutId)
                        .to(Payouts::Table, Payouts::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_commission_events_original")
                        .from(CommissionEvents::Table, CommissionEvents::OriginalEventId)
                        .to(CommissionEvents::Table, CommissionEvents::Id),
                )
                .to_owned(),
        )
        .await?;
        // Lists by partner and status, newest first; metrics by partner, status and date.
        m.create_index(index(
            "ix_events_partner_status_date",
            CommissionEvents::Table,
            &["tenant_id", "partner_id", "status", "event_date"],
        ))
        .await?;
        m.create_index(index(
            "ix_events_partner_date",
            CommissionEvents::Table,
            &["tenant_id", "partner_id", "event_date"],
        ))
        .await?;
        // Unclaimed approved events of a partner and currency, by date (payout claims).
        m.create_index(
            index(
                "ix_events_unclaimed",
                CommissionEvents::Table,
                &["tenant_id", "partner_id", "currency", "event_date"],
            )
            .and_where(
                Expr::col(CommissionEvents::Status)
                    .eq("approved")
                    .and(Expr::col(CommissionEvents::PayoutId).is_null()),
            )
            .to_owned(),
        )
        .await?;
        // Tier volume: a partner's payments in a currency and month.
        m.create_index(index(
            "ix_events_partner_type_currency_date",
            CommissionEvents::Table,
            &[
                "tenant_id",
                "partner_id",
                "event_type",
                "currency",
                "event_date",
            ],
        ))
        .await?;
        m.create_index(index(
            "ix_events_rule_date",
            CommissionEvents::Table,
            &["tenant_id", "rule_id", "event_date"],
        ))
        .await?;
        m.create_index(index(
            "ix_events_payout",
            CommissionEvents::Table,
            &["payout_id"],
        ))
        .await?;
        m.create_index(index(
            "ix_events_original",
            CommissionEvents::Table,
            &["original_event_id"],
        ))
        .await?;
        m.create_index(index(
            "ix_events_payment",
            CommissionEvents::Table,
            &["tenant_id", "payment_id"],
        ))
        .await?;
        m.create_index(index(
            "ix_events_hold",
            CommissionEvents::Table,
            &["status", "hold_until"],
        ))
        .await?;
        m.create_index(
            index(
                "ux_events_refund",
                CommissionEvents::Table,
                &["tenant_id", "refund_id"],
            )
            .unique()
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Payments::Table)
                .col(uuid(Payments::TenantId))
                .col(string_len(Payments::PaymentId, 128))
                .col(string_len(Payments::InvoiceId, 128))
                .col(string_len_null(Payments::InvoiceNumber, 64))
                .col(string_len(Payments::CustomerId, 128))
                .col(big_integer(Payments::AmountMinor))
                .col(currency(Payments::Currency))
                .col(big_integer(Payments::PaidAt))
                .col(text(Payments::ProductIds))
                .col(one_of(
                    Payments::Outcome,
                    &[
                        "created",
                        "unattributed",
                        "partner_inactive",
                        "no_terms",
                        "currency_mismatch",
                        "duration_elapsed",
                        "capped",
                        "zero_commission",
                    ],
                ))
                .col(uuid_null(Payments::PartnerId))
                .col(uuid_null(Payments::EventId))
                .col(big_integer(Payments::RecordedAt))
                .primary_key(
                    Index::create()
                        .col(Payments::TenantId)
                        .col(Payments::PaymentId),
                )
                .check(Expr::col(Payments::AmountMinor).gt(0))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_payments_event")
                        .from(Payments::Table, Payments::EventId)
                        .to(CommissionEvents::Table, CommissionEvents::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_payments_event", Payments::Table, &["event_id"])
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Refunds::Table)
                .col(uuid(Refunds::TenantId))
                .col(string_len(Refunds::RefundId, 128))
                .col(string_len(Refunds::PaymentId, 128))
                .col(big_integer(Refunds::AmountMinor))
                .col(currency(Refunds::Currency))
                .col(big_integer(Refunds::RefundedAt))
                .col(one_of(
                    Refunds::Outcome,
                    &["created", "no_commission", "zero_adjustment"],
                ))
                .col(uuid_null(Refunds::EventId))
                .col(big_integer(Refunds::RecordedAt))
                .primary_key(
                    Index::create()
                        .col(Refunds::TenantId)
                        .col(Refunds::RefundId),
                )
                .check(Expr::col(Refunds::AmountMinor).gt(0))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_refunds_payment")
                        .from(Refunds::Table, (Refunds::TenantId, Refunds::PaymentId))
                        .to(Payments::Table, (Payments::TenantId, Payments::PaymentId)),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_refunds_event")
                        .from(Refunds::Table, Refunds::EventId)
                        .to(CommissionEvents::Table, CommissionEvents::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_refunds_payment",
            Refunds::Table,
            &["tenant_id", "payment_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Reverse order of creation, so no foreign key is left dangling.
        for t in [
            Refunds::Table.into_iden(),
            Payments::Table.into_iden(),
            CommissionEvents::Table.into_iden(),
            Payouts::Table.into_iden(),
            CommissionRules::Table.into_iden(),
            PartnerAccounts::Table.into_iden(),
            Customers::Table.into_iden(),
            PartnerUsers::Table.into_iden(),
            Partners::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
