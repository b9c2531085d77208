//! Tenants, staff accounts, the audit log and idempotency keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum StaffUsers {
    Table,
    Id,
    TenantId,
    Email,
    Name,
    Role,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    TenantId,
    Actor,
    Action,
    TargetType,
    TargetId,
    Before,
    After,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKeys {
    Table,
    TenantId,
    Principal,
    Key,
    RequestHash,
    Status,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Tenants::Table)
                .col(pk_uuid(Tenants::Id))
                .col(string_len_uniq(Tenants::Slug, 64))
                .col(string_len(Tenants::Name, 200))
                .col(big_integer(Tenants::CreatedAt))
                .to_owned(),
        )
        .await?;
        let mut role = string_len(StaffUsers::Role, 16);
        role.check(Expr::col(StaffUsers::Role).is_in(["operator", "auditor"]));
        m.create_table(
            Table::create()
                .table(StaffUsers::Table)
                .col(pk_uuid(StaffUsers::Id))
                .col(uuid(StaffUsers::TenantId))
                .col(string_len(StaffUsers::Email, 254))
                .col(string_len(StaffUsers::Name, 200))
                .col(role)
                .col(text(StaffUsers::PasswordHash))
                .col(big_integer(StaffUsers::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_staff_users_tenant")
                        .from(StaffUsers::Table, StaffUsers::TenantId)
                        .to(Tenants::Table, Tenants::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_staff_users_tenant_email")
                .table(StaffUsers::Table)
                .col(StaffUsers::TenantId)
                .col(StaffUsers::Email)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(pk_uuid(AuditLog::Id))
                .col(uuid(AuditLog::TenantId))
                .col(string_len(AuditLog::Actor, 255))
                .col(string_len(AuditLog::Action, 64))
                .col(string_len(AuditLog::TargetType, 32))
                .col(string_len(AuditLog::TargetId, 128))
                .col(text_null(AuditLog::Before))
                .col(text_null(AuditLog::After))
                .col(big_integer(AuditLog::At))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_log_tenant_at")
                .table(AuditLog::Table)
                .col(AuditLog::TenantId)
                .col(AuditLog::At)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(uuid(IdempotencyKeys::TenantId))
                .col(string_len(IdempotencyKeys::Principal, 255))
                .col(string_len(IdempotencyKeys::Key, 255))
                .col(string_len(IdempotencyKeys::RequestHash, 64))
                .col(integer_null(IdempotencyKeys::Status))
                .col(text_null(IdempotencyKeys::Body))
                .col(big_integer(IdempotencyKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKeys::TenantId)
                        .col(IdempotencyKeys::Principal)
                        .col(IdempotencyKeys::Key),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            IdempotencyKeys::Table.into_iden(),
            AuditLog::Table.into_iden(),
            StaffUsers::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
