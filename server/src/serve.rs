//! Running the web server until SIGINT/SIGTERM.
use std::sync::Arc;

use crate::calendar::google::GoogleSettings;
use crate::calendar::service::CalendarSettings;
use crate::config::Config;
use crate::secrets::{self, ExposeSecret, KeyringSource};
use crate::services::Services;

/// The master key from configuration, or the key file (created on first start; re-read when
/// another process has rotated the keys).
pub fn load_keyring(config: &Config) -> anyhow::Result<KeyringSource> {
    Ok(match &config.secret_key {
        Some(key) => secrets::keyring_from_base64(key.expose_secret())?.into(),
        None => KeyringSource::from_file(&config.secret_key_path())?,
    })
}

pub fn calendar_settings(config: &Config, keyring: impl Into<KeyringSource>) -> CalendarSettings {
    CalendarSettings {
        connect_timeout: std::time::Duration::from_secs(config.http_connect_timeout_secs),
        request_timeout: std::time::Duration::from_secs(config.http_timeout_secs),
        max_sync_interval: config
            .sync_interval_minutes
            .map(|minutes| std::time::Duration::from_secs(minutes * 60)),
        lease: std::time::Duration::from_secs(config.sync_lease_seconds),
        sync_timeout: std::time::Duration::from_secs(config.sync_timeout_minutes * 60),
        google: GoogleSettings {
            client_id: config.google_client_id.clone(),
            client_secret: config.google_client_secret.clone(),
            endpoints: config.google_endpoints.clone(),
            public_url: config.public_url.clone(),
            request_timeout: std::time::Duration::from_secs(config.http_timeout_secs),
            proxy: config.calendar_proxy.clone(),
            ..GoogleSettings::default()
        },
        calendar_proxy: config.calendar_proxy.clone(),
        ..CalendarSettings::new(keyring, config.allow_private_servers)
    }
}

/// Connects to the database, with the data directory 0700 and the files in it 0600.
pub async fn open_db(config: &Config) -> anyhow::Result<crate::db::Db> {
    let data_dir = &config.data_dir;
    crate::files::prepare_private_dir(data_dir)
        .map_err(|e| anyhow::anyhow!("data directory {}: {e}", data_dir.display()))?;
    let settings = config.db_settings();
    let db = crate::db::connect(&settings).await?;
    if settings.is_shared() {
        crate::freshness::share_through(db.clone());
    }
    crate::files::restrict_tree(data_dir)
        .map_err(|e| anyhow::anyhow!("data directory {}: {e}", data_dir.display()))?;
    Ok(db)
}

/// Connects and checks that the key opens the credentials already stored, so a lost or wrong
/// key is reported at start-up instead of surfacing as failed syncs.
pub async fn open_services(config: &Config) -> anyhow::Result<Arc<Services>> {
    let keyring = load_keyring(config)?;
    crate::freshness::set_time_to_live(std::time::Duration::from_secs(config.cache_seconds));
    let db = open_db(config).await?;
    let services = Arc::new(
        Services::new(
            db,
            config.secure_cookies(),
            calendar_settings(config, keyring),
        )
        .with_signup(config.signup),
    );
    services.calendars.verify_key().await?;
    Ok(services)
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let services = open_services(&config).await?;
    services.accounts.purge_expired_sessions().await?;
    // Meetings stored before the unknown-guests flag: matched again in the background, once.
    let flagging = services.clone();
    tokio::spawn(async move {
        match flagging.flag_unknown_guests().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "flagged meetings with unknown guests"),
            Err(error) => tracing::warn!(%error, "flagging meetings with unknown guests failed"),
        }
    });
    let scheduler = config.scheduler.then(|| {
        tokio::spawn(
            crate::scheduler::Scheduler::new(
                services.calendars.clone(),
                crate::scheduler::SchedulerConfig::from(&config),
            )
            .run(),
        )
    });
    let app = crate::http::router(&config, services.clone());
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    tracing::info!(address = %config.bind, public_url = %config.public_url, "Rondo is listening");
    // With the peer's address: sign-ins are throttled per client too.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    if let Some(task) = scheduler {
        // An interrupted sync leaves nothing half-done: cursors are saved after their changes.
        task.abort();
        let _ = task.await;
    }
    // Dropping the last database handle starts the embedded datastore's own shutdown task;
    // give it a moment to flush before the runtime goes away.
    drop(services);
    tokio::time::sleep(std::time::Duration::from_millis(750)).await;
    tracing::info!("shut down cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested");
}
