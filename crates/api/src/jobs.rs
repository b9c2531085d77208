//! Background work of the server: the periodic approval of held commissions.

use std::time::Duration;

use revshare_domain::Engine;

/// Approves due held commissions every `every`, until the runtime stops. Failures are logged
/// and retried at the next tick.
pub fn spawn_auto_approval(engine: Engine, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match engine.approve_due().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(approved = n, "approved held commissions whose hold ended"),
                Err(e) => {
                    tracing::warn!(error = %e, "automatic approval failed; retrying next tick")
                }
            }
        }
    })
}
