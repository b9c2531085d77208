//! `Directory` on SeaORM: tenants, staff, credentials, partner users, the audit log.

use async_trait::async_trait;
use revshare_domain::StoreError;
use revshare_domain::access::{Credential, Principal, Role, StaffUser, Tenant};
use revshare_domain::audit::AuditEntry;
use revshare_domain::partner::{PartnerStatus, PartnerUser, PartnerUserRole};
use revshare_domain::port::Directory;
use revshare_domain::query::{Page, PageRequest};
use revshare_domain::value::{PartnerId, TenantId};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::convert::{audit_from, corrupt, instant, micros, partner_user_from};
use crate::entity::{audit_log, partner, partner_user, staff_user, tenant};
use crate::error::OrStore;

/// The directory on a SeaORM pool.
#[derive(Debug, Clone)]
pub struct SeaDirectory {
    db: DatabaseConnection,
}

impl SeaDirectory {
    /// Wraps a pool; the schema must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        SeaDirectory { db }
    }
}

fn tenant_from(m: tenant::Model) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: TenantId::from_uuid(m.id),
        slug: m.slug,
        name: m.name,
        created_at: instant(m.created_at)?,
    })
}

#[async_trait]
impl Directory for SeaDirectory {
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug))
            .one(&self.db)
            .await
            .or_store()?
            .map(tenant_from)
            .transpose()
    }

    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        tenant::Entity::find_by_id(id.uuid())
            .one(&self.db)
            .await
            .or_store()?
            .map(tenant_from)
            .transpose()
    }

    async fn insert_tenant(&self, t: &Tenant) -> Result<(), StoreError> {
        let row = tenant::ActiveModel {
            id: Set(t.id.uuid()),
            slug: Set(t.slug.clone()),
            name: Set(t.name.clone()),
            created_at: Set(micros(t.created_at)),
        };
        tenant::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .or_store()?;
        Ok(())
    }

    async fn staff_count(&self) -> Result<u64, StoreError> {
        staff_user::Entity::find().count(&self.db).await.or_store()
    }

    async fn insert_staff(&self, u: &StaffUser, password_hash: &str) -> Result<(), StoreError> {
        let row = staff_user::ActiveModel {
            id: Set(u.id),
            tenant_id: Set(u.tenant_id.uuid()),
            email: Set(u.email.clone()),
            name: Set(u.name.clone()),
            role: Set(u.role.name().to_owned()),
            password_hash: Set(password_hash.to_owned()),
            created_at: Set(micros(u.created_at)),
        };
        staff_user::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .or_store()?;
        Ok(())
    }

    async fn credential(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> Result<Option<Credential>, StoreError> {
        if let Some(s) = staff_user::Entity::find()
            .filter(staff_user::Column::TenantId.eq(tenant.uuid()))
            .filter(staff_user::Column::Email.eq(email))
            .one(&self.db)
            .await
            .or_store()?
        {
            let role = Role::parse(&s.role).map_err(|e| corrupt("staff user", e))?;
            return Ok(Some(Credential {
                principal: Principal {
                    subject: s.id.to_string(),
                    tenant,
                    role,
                    partner_id: None,
                    partner_role: None,
                },
                password_hash: s.password_hash,
            }));
        }
        let Some(u) = partner_user::Entity::find()
            .filter(partner_user::Column::TenantId.eq(tenant.uuid()))
            .filter(partner_user::Column::Email.eq(email))
            .one(&self.db)
            .await
            .or_store()?
        else {
            return Ok(None);
        };
        let Some(hash) = u.password_hash.clone() else {
            return Ok(None);
        };
        let status: Option<String> = partner::Entity::find_by_id(u.partner_id)
            .select_only()
            .column(partner::Column::Status)
            .into_tuple()
            .one(&self.db)
            .await
            .or_store()?;
        if status.as_deref() == Some(PartnerStatus::Archived.name()) || status.is_none() {
            return Ok(None);
        }
        Ok(Some(Credential {
            principal: Principal {
                subject: u.id.to_string(),
                tenant,
                role: Role::Partner,
                partner_id: Some(PartnerId::from_uuid(u.partner_id)),
                partner_role: Some(
                    PartnerUserRole::parse(&u.role).map_err(|e| corrupt("partner user", e))?,
                ),
            },
            password_hash: hash,
        }))
    }

    async fn partner_users(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<PartnerUser>, StoreError> {
        partner_user::Entity::find()
            .filter(partner_user::Column::TenantId.eq(tenant.uuid()))
            .filter(partner_user::Column::PartnerId.eq(partner.uuid()))
            .order_by_asc(partner_user::Column::Email)
            .all(&self.db)
            .await
            .or_store()?
            .into_iter()
            .map(partner_user_from)
            .collect()
    }

    async fn audit_log(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let q = audit_log::Entity::find().filter(audit_log::Column::TenantId.eq(tenant.uuid()));
        let total = q.clone().count(&self.db).await.or_store()?;
        let rows = q
            .order_by_desc(audit_log::Column::At)
            .order_by_desc(audit_log::Column::Id)
            .offset(page.offset)
            .limit(u64::from(page.limit))
            .all(&self.db)
            .await
            .or_store()?;
        Ok(Page {
            items: rows.into_iter().map(audit_from).collect::<Result<_, _>>()?,
            total,
            page,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await.or_store()?;
        Ok(())
    }
}
