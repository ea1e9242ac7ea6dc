//! The axum application: Leptos pages and server functions, the Google OAuth redirects, static
//! files, and `/healthz`, behind the cross-site request refusal of [`crate::cross_site`].
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::services::ServeDir;

use app::api::backend::Backend;
use app::{shell, App};

use crate::config::Config;
use crate::services::Services;

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("rondo")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .build()
}

pub fn router(config: &Config, services: Arc<Services>) -> Router {
    let backend: Arc<dyn Backend> = services.clone();
    let options = leptos_options(config);
    let routes = generate_route_list(App);
    let context = {
        let backend = backend.clone();
        move || provide_context(backend.clone())
    };
    let pkg = ServeDir::new(config.site_root.join("pkg")).precompressed_gzip();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::google_routes::routes(services))
        .nest_service("/pkg", pkg)
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        // Public assets, else the app's own "Page not found".
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        // Outermost: refused before any route, server function or cookie handling runs.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(crate::cross_site::OriginGuard::new(&config.public_url)),
            crate::cross_site::refuse_cross_site,
        ))
}
