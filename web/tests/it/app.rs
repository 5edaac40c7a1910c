use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use chrono::Utc;
use gtm_worker::store::GtmStore;
use marketing_worker::store::MarketingStore;
use seed_data::model::SeedSet;
use tower::ServiceExt;

/// A router over a freshly seeded GTM database and Temporal at `temporal_address`.
pub struct TestApp {
    pub router: Router,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Temporal at an address where nothing listens.
    pub async fn without_temporal() -> Self {
        Self::new("127.0.0.1:1").await
    }

    pub async fn new(temporal_address: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let gtm_database_url = format!("sqlite:{}/gtm.db", dir.path().display());
        let seed = SeedSet::shipped().unwrap();
        let gtm = GtmStore::open(&gtm_database_url).await.unwrap();
        gtm_worker::seed::load(&gtm, &seed, Utc::now())
            .await
            .unwrap();
        let marketing_url = format!("sqlite:{}/marketing.db", dir.path().display());
        let marketing = MarketingStore::open(&marketing_url).await.unwrap();
        marketing_worker::seed::load(&marketing, &seed)
            .await
            .unwrap();
        let cs_url = format!("sqlite:{}/customer-success.db", dir.path().display());
        let cs = customer_success_worker::store::CsStore::open(&cs_url)
            .await
            .unwrap();
        let config = web::Config::local(temporal_address, &gtm_database_url).unwrap();
        let state = web::AppState::new(
            &config,
            web::Databases {
                gtm: gtm.pool().clone(),
                marketing: marketing.pool().clone(),
                customer_success: cs.pool().clone(),
            },
        );
        let router = web::router(state);
        Self { router, _dir: dir }
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    pub async fn get(&self, uri: &str) -> Response<Body> {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_json(&self, uri: &str, json: &str) -> Response<Body> {
        self.send(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_owned()))
                .unwrap(),
        )
        .await
    }
}

pub async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub async fn json(response: Response<Body>) -> serde_json::Value {
    serde_json::from_str(&text(response).await).unwrap()
}

/// Elements matching a CSS selector.
pub fn select(html: &str, selector: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

pub fn assert_status(response: &Response<Body>, status: StatusCode) {
    assert_eq!(response.status(), status, "{response:?}");
}
