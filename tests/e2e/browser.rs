//! A real browser for the end-to-end suite: Debian's chromedriver on a free port, driving
//! Debian's headless Chromium with a throw-away profile, and helpers that read a page the way a
//! person does (texts, links, forms) plus screenshots of every page visited.
//!
//! Nothing is downloaded: without `/usr/bin/chromium` and `/usr/bin/chromedriver` the suite
//! says so loudly and skips, unless `REVSHARE_REQUIRE_BROWSER=1` (then it fails).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use revshare_tests::Backend;
use revshare_tests::http::{TestApp, spawn_app};
use serde_json::{Value, json};

/// The browser, as Debian installs it (CI: `apt-get install chromium chromium-driver`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Its WebDriver server.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The desktop window.
pub const DESKTOP: (u32, u32) = (1280, 1000);
/// A phone's viewport.
pub const PHONE: (u32, u32) = (390, 844);

/// A running chromedriver in its own process group; dropping it ends that group (chromedriver
/// and any browser it started) and removes the browser profile.
pub struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").field("port", &self.port).finish()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Driver {
    /// Starts chromedriver and waits until it answers; `None` (after a loud notice) when the
    /// browser is not installed and not required.
    pub async fn start(test: &str) -> Option<Driver> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            if std::env::var("REVSHARE_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("REVSHARE_REQUIRE_BROWSER=1 but {missing:?} are not installed");
            }
            eprintln!(
                "!!! SKIPPED e2e: chromium/chromedriver not installed !!! ({test}: missing {missing:?})"
            );
            return None;
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("http client");
        for attempt in 1..=3 {
            let port = free_port();
            let profile = std::env::temp_dir()
                .join(format!("revshare-e2e-{}", uuid::Uuid::now_v7().simple()));
            std::fs::create_dir_all(&profile).expect("browser profile folder");
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own group, so the browser it starts can be ended with it even after a panic.
                .process_group(0)
                .spawn()
                .expect("start chromedriver");
            let mut driver = Driver {
                child,
                port,
                profile,
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = driver.child.try_wait() {
                    break; // the port was taken meanwhile, or it cannot start: try again
                }
                let status = http
                    .get(format!("http://127.0.0.1:{port}/status"))
                    .send()
                    .await;
                if let Ok(r) = status
                    && r.status().is_success()
                    && r.json::<Value>()
                        .await
                        .is_ok_and(|v| v["value"]["ready"] == true)
                {
                    return Some(driver);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            eprintln!("chromedriver did not answer on port {port} (attempt {attempt})");
        }
        panic!("chromedriver never answered");
    }

    /// Opens a headless Chromium session at the desktop size.
    pub async fn browser(&self, base: &str, test: String) -> Browser {
        let user_data = format!("--user-data-dir={}", self.profile.display());
        let window = format!("--window-size={},{}", DESKTOP.0, DESKTOP.1);
        let caps: Capabilities = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", window, user_data,
                ],
            },
        }))
        .expect("capabilities");
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("open a Chromium session through chromedriver");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Browser {
            client,
            base: base.to_owned(),
            test,
            http,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The child is not reaped yet, so its process group id cannot have been reused.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One test's world: chromedriver, the application over a fresh database, and a browser.
pub struct E2e {
    /// The application.
    pub app: TestApp,
    /// The browser, logged out.
    pub browser: Browser,
    driver: Driver,
}

impl E2e {
    /// Everything for test `name` on `backend`; `None` when the browser or PostgreSQL is
    /// missing (and not required).
    pub async fn start(backend: Backend, name: &str) -> Option<E2e> {
        let label = match backend {
            Backend::Sqlite => format!("{name}-sqlite"),
            Backend::Postgres => format!("{name}-postgres"),
        };
        let driver = Driver::start(&label).await?;
        let app = spawn_app(backend, name).await?;
        let browser = driver.browser(&app.addr, label).await;
        Some(E2e {
            app,
            browser,
            driver,
        })
    }

    /// Closes the browser, stops the server, drops the database and ends chromedriver.
    pub async fn finish(self) {
        let E2e {
            app,
            browser,
            driver,
        } = self;
        browser.client.close().await.ok();
        app.finish().await;
        drop(driver);
    }
}

/// A browser session on the application.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    /// `http://127.0.0.1:PORT` of the application.
    pub base: String,
    /// `<test>-<backend>`, the prefix of screenshots.
    pub test: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser").field("test", &self.test).finish()
    }
}

/// What the server answered to a request made with the browser's session cookie.
#[derive(Debug)]
pub struct Fetched {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// `Content-Disposition`.
    pub disposition: String,
    /// Body.
    pub body: String,
}

/// Where screenshots go: `target/e2e-screenshots/` of the build running this test.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .filter(|t| t.join("debug").is_dir() || t.join("release").is_dir())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("e2e-screenshots")
}

impl Browser {
    /// Goes to `path` of the application (redirects are followed).
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path and query, such as `/app/commissions?page=2`.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The element at `css`; on failure a `FAILED` screenshot is saved and the test panics
    /// with the page's address.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => self.fail(&format!("no element {css:?}: {e}")).await,
        }
    }

    /// The element at the XPath `xpath` (same failure handling as [`Browser::find`]).
    pub async fn find_xpath(&self, xpath: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::XPath(xpath)).await {
            Ok(e) => e,
            Err(e) => self.fail(&format!("no element {xpath:?}: {e}")).await,
        }
    }

    /// Every element at `css`.
    pub async fn find_all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css:?}: {e}"))
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        self.find_all(css).await.len()
    }

    /// The visible text of the element at `css`, trimmed.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .expect("element text")
            .trim()
            .to_owned()
    }

    /// The visible texts of every element at `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.find_all(css).await {
            out.push(e.text().await.expect("element text").trim().to_owned());
        }
        out
    }

    /// An attribute of the element at `css`.
    pub async fn attr(&self, css: &str, name: &str) -> String {
        self.find(css)
            .await
            .attr(name)
            .await
            .expect("attribute")
            .unwrap_or_else(|| panic!("{css:?} has no {name}"))
    }

    /// Marks the current document, so that [`Browser::settle`] can tell when it was replaced.
    async fn mark(&self) {
        self.client
            .execute("document.documentElement.dataset.e2eOld = '1';", vec![])
            .await
            .expect("mark the page");
    }

    /// Waits until the marked document was replaced by a fully loaded one.
    async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let done = self
                .client
                .execute(
                    "return document.readyState === 'complete' && !document.documentElement.dataset.e2eOld;",
                    vec![],
                )
                .await
                .map(|v| v == Value::Bool(true))
                .unwrap_or(false);
            if done {
                return;
            }
            if Instant::now() > deadline {
                self.fail("the page did not load within 15 s").await;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks the element at `css` and waits for the page it leads to.
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.mark().await;
        e.click()
            .await
            .unwrap_or_else(|err| panic!("click {css:?}: {err}"));
        self.settle().await;
    }

    /// Clicks `element` and waits for the page it leads to.
    pub async fn click_element(&self, e: fantoccini::elements::Element) {
        self.mark().await;
        e.click().await.expect("click");
        self.settle().await;
    }

    /// Clicks a control that does not leave the page (a checkbox).
    pub async fn tick(&self, e: &fantoccini::elements::Element) {
        e.click().await.expect("tick");
    }

    /// Types `value` into the empty field at `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear the field");
        e.send_keys(value).await.expect("type into the field");
    }

    /// Sets the value of the field at `css` directly (date inputs, whose typing is
    /// locale-dependent).
    pub async fn set_value(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        let arg = serde_json::to_value(&e).expect("element reference");
        self.client
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));",
                vec![arg, json!(value)],
            )
            .await
            .expect("set the field's value");
    }

    /// Chooses the option with `value` in the select at `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value:?} in {css:?}: {e}"));
    }

    /// Logs in through the form.
    pub async fn login(&self, tenant: &str, email: &str, password: &str) {
        if !self.path().await.starts_with("/login") {
            self.open("/login").await;
        }
        self.fill("input[name=tenant]", tenant).await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
    }

    /// Logs out with the header's button.
    pub async fn logout(&self) {
        self.click("form.logout button[type=submit]").await;
        assert_eq!(
            self.path().await,
            "/login",
            "logging out leads to the login page"
        );
    }

    /// The `Cookie` header of the browser's session.
    pub async fn cookie_header(&self) -> String {
        let cookies = self.client.get_all_cookies().await.expect("cookies");
        let session = cookies
            .iter()
            .find(|c| c.name() == "revshare_session")
            .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
        assert_eq!(
            session.http_only(),
            Some(true),
            "the session cookie is HttpOnly"
        );
        format!("revshare_session={}", session.value())
    }

    /// `GET path` outside the browser, with the browser's session cookie (downloads).
    pub async fn fetch(&self, path: &str) -> Fetched {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header().await)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let header = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (status, content_type, disposition) = (
            r.status().as_u16(),
            header("content-type"),
            header("content-disposition"),
        );
        let body = r.text().await.expect("body");
        Fetched {
            status,
            content_type,
            disposition,
            body,
        }
    }

    /// Runs `script` and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {script:?}: {e}"))
    }

    /// Resizes the window.
    pub async fn resize(&self, (w, h): (u32, u32)) {
        self.client
            .set_window_size(w, h)
            .await
            .expect("resize the window");
    }

    /// A PNG of the whole page (the window is stretched to the page's height for the shot),
    /// saved as `target/e2e-screenshots/<test>-<page>.png`; returns the PNG.
    pub async fn screenshot(&self, page: &str) -> Vec<u8> {
        let (w, h) = self.client.get_window_size().await.expect("window size");
        let full = self
            .eval("return Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0));")
            .await
            .as_u64()
            .unwrap_or(h);
        let inner = self
            .eval("return window.innerHeight;")
            .await
            .as_u64()
            .unwrap_or(h);
        // The window may be taller than its viewport; stretch so the viewport holds the page.
        let stretched = (full + h.saturating_sub(inner)).clamp(h, 8000);
        let (w32, s32, h32) = (
            u32::try_from(w).unwrap_or(DESKTOP.0),
            u32::try_from(stretched).unwrap_or(DESKTOP.1),
            u32::try_from(h).unwrap_or(DESKTOP.1),
        );
        if s32 > h32 {
            self.resize((w32, s32)).await;
        }
        let png = self.client.screenshot().await.expect("screenshot");
        if s32 > h32 {
            self.resize((w32, h32)).await;
        }
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{}-{page}.png", self.test)), &png).expect("write PNG");
        png
    }

    /// Saves a `FAILED` screenshot and panics with the page's address and `why`.
    pub async fn fail(&self, why: &str) -> ! {
        let path = self.path().await;
        if let Ok(png) = self.client.screenshot().await {
            let dir = screenshot_dir();
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{}-FAILED.png", self.test)), png);
        }
        let body = self
            .client
            .find(Locator::Css("body"))
            .await
            .ok()
            .map(|b| async move { b.text().await.unwrap_or_default() });
        let text = match body {
            Some(f) => f.await,
            None => String::new(),
        };
        panic!("{}: at {path}: {why}\n--- page text ---\n{text}", self.test);
    }
}
