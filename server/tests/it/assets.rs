//! Client assets as `scripts/build-client.sh` leaves them (hashed names in `hash.txt`, `.br` and
//! `.gz` siblings): which variant is served, how long it may be cached, and pages compressed on
//! the fly. The fake "compressed" files hold marker bytes, so each answer shows which file it is.
use std::path::Path;

use crate::common;

const JS: &str = "0123456789abcdef";
const WASM: &str = "fedcba9876543210";
const CSS: &str = "00112233445566ff";

/// A site root with hashed assets, their precompressed siblings and `hash.txt`.
fn fake_site(root: &Path) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for (hash, ext, body) in [
        (JS, "js", "export default function init() {}\n"),
        (WASM, "wasm", "\0asm not really"),
        (CSS, "css", "body { color: black }\n"),
    ] {
        let name = format!("rondo.{hash}.{ext}");
        std::fs::write(pkg.join(&name), body).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("br of {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz of {name}")).unwrap();
    }
    std::fs::write(pkg.join("unhashed.js"), "// no hash in the name\n").unwrap();
    std::fs::write(
        root.join(server::http::HASH_FILE),
        format!("js: {JS}\nwasm: {WASM}\ncss: {CSS}\n"),
    )
    .unwrap();
}

/// A client that neither asks for nor decodes compression on its own.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_zstd()
        .build()
        .unwrap()
}

async fn get(base: &str, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    let mut request = raw_client().get(format!("{base}{path}"));
    if let Some(encodings) = accept_encoding {
        request = request.header("accept-encoding", encodings);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
}

#[tokio::test]
async fn hashed_assets_are_served_precompressed_and_cached_for_good() {
    let site = tempfile::tempdir().unwrap();
    fake_site(site.path());
    let server = common::start_with_site(site.path()).await;
    for (hash, ext, content_type) in [
        (JS, "js", "javascript"),
        (WASM, "wasm", "application/wasm"),
        (CSS, "css", "text/css"),
    ] {
        let name = format!("rondo.{hash}.{ext}");
        let path = format!("/pkg/{name}");
        for (accept, encoding, body) in [
            (Some("br"), Some("br"), format!("br of {name}")),
            (Some("gzip, deflate"), Some("gzip"), format!("gz of {name}")),
            (
                None,
                None,
                std::fs::read_to_string(site.path().join("pkg").join(&name)).unwrap(),
            ),
        ] {
            let response = get(&server.base, &path, accept).await;
            assert_eq!(response.status(), 200, "{path} {accept:?}");
            assert_eq!(
                header(&response, "content-encoding"),
                encoding,
                "{path} {accept:?}"
            );
            assert!(
                header(&response, "content-type")
                    .unwrap()
                    .contains(content_type),
                "{path}: {:?}",
                header(&response, "content-type")
            );
            assert_eq!(header(&response, "vary"), Some("accept-encoding"), "{path}");
            assert_eq!(
                header(&response, "cache-control"),
                Some("public, max-age=31536000, immutable"),
                "{path}"
            );
            // Served as built, not compressed a second time.
            assert_eq!(response.text().await.unwrap(), body, "{path} {accept:?}");
        }
    }

    // A file without a hash in its name may change under the same name: revalidated.
    let unhashed = get(&server.base, "/pkg/unhashed.js", Some("br, gzip")).await;
    assert_eq!(unhashed.status(), 200);
    assert_eq!(header(&unhashed, "cache-control"), Some("no-cache"));
    assert_eq!(
        header(&unhashed, "content-encoding"),
        None,
        "no sibling to serve"
    );
    let missing = get(&server.base, &format!("/pkg/rondo.{JS}.mjs"), None).await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn pages_link_the_hashed_assets_and_are_compressed_and_revalidated() {
    let site = tempfile::tempdir().unwrap();
    fake_site(site.path());
    let server = common::start_with_site(site.path()).await;

    // The page (decoded by the client) names the files in hash.txt, never the unhashed ones.
    let page = server.client().get("/login").await.text().await.unwrap();
    for linked in [
        format!("/pkg/rondo.{CSS}.css"),
        format!("/pkg/rondo.{JS}.js"),
        format!("/pkg/rondo.{WASM}.wasm"),
    ] {
        assert!(page.contains(&linked), "{linked} in {page}");
    }
    assert!(!page.contains("rondo_bg") && !page.contains("/pkg/rondo.css"));

    for (accept, encoding) in [
        (Some("br"), Some("br")),
        (Some("gzip"), Some("gzip")),
        (None, None),
    ] {
        let response = get(&server.base, "/login", accept).await;
        assert_eq!(response.status(), 200);
        assert!(header(&response, "content-type")
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(
            header(&response, "content-encoding"),
            encoding,
            "{accept:?}"
        );
        assert_eq!(header(&response, "cache-control"), Some("no-cache"));
        if encoding.is_some() {
            assert!(header(&response, "vary")
                .unwrap()
                .contains("accept-encoding"));
            let body = response.bytes().await.unwrap();
            assert!(
                body.len() < page.len(),
                "{accept:?}: {} of {} bytes",
                body.len(),
                page.len()
            );
            if encoding == Some("gzip") {
                assert!(body.starts_with(&[0x1f, 0x8b]), "gzip magic");
            }
        } else {
            assert_eq!(response.text().await.unwrap().len(), page.len());
        }
    }

    // Server-function answers are compressed too (here: a JSON error of more than 32 bytes;
    // shorter answers are left alone).
    let answer = raw_client()
        .post(format!("{}/api/sign-up", server.base))
        .header("accept", "application/json")
        .header("accept-encoding", "gzip")
        .form(&[
            ("email", "not-an-email"),
            ("password", "correct horse battery"),
            ("name", "Test User"),
            ("time_zone", "Europe/Amsterdam"),
        ])
        .send()
        .await
        .unwrap();
    assert!(header(&answer, "content-type").unwrap().contains("json"));
    assert_eq!(header(&answer, "content-encoding"), Some("gzip"));
    assert!(answer.bytes().await.unwrap().starts_with(&[0x1f, 0x8b]));
}
