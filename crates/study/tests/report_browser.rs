//! The report opened in a real browser: headless Chromium loads the file, runs its script and
//! dumps the resulting DOM; its log gives the console. Skipped (with a message) when Chromium is
//! not installed, except under CI (`CI` set), where `.ci/run` installs it and a missing browser
//! is a failure.
#![allow(clippy::unwrap_used)]

mod report_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cartera_study::report::{Figure, ReportData, render};
use report_common::{TIERS, sample};

/// Chromium can hang (a stuck GPU process, a profile lock); never wait longer than this.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The browser on PATH, or `None` (after saying so) when the test should be skipped.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium is not on PATH, and CI is set: .ci/run should have installed it"
    );
    eprintln!("skipping the browser test: chromium is not on PATH (apt-get install chromium)");
    None
}

/// What the browser made of a page.
struct Loaded {
    /// The DOM after the page's scripts ran.
    dom: String,
    /// Every console message (our page logs nothing, so any message is a fault: an uncaught
    /// exception, a Content-Security-Policy refusal, a console.error).
    console: Vec<String>,
}

/// A private folder for one test (tests run in parallel, each with its own browser profile).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartera-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `html` to a file and opens it at `#hash` in headless Chromium.
fn load(browser: &Path, html: &str, hash: &str, name: &str) -> Loaded {
    let dir = scratch(name);
    let page = dir.join("report.html");
    std::fs::write(&page, html).unwrap();
    let stdout_path = dir.join("dom.html");
    let stderr_path = dir.join("log.txt");
    let mut child = Command::new(browser)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}#{hash}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {TIMEOUT:?} ({name})");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let dom = std::fs::read_to_string(&stdout_path).unwrap();
    let log = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(status.success(), "chromium failed ({status}):\n{log}");
    assert!(dom.contains("</html>"), "no DOM dumped:\n{log}");
    // Chromium writes console messages as `...:INFO:CONSOLE:<line>] "message", source: ...`
    // (older versions: `INFO:CONSOLE(<line>)`), whatever the console method.
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    Loaded { dom, console }
}

/// The start tag and the text content of the element with `id`, from the dumped DOM.
fn element<'a>(dom: &'a str, id: &str) -> (&'a str, String) {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element with id {id}"));
    let open = dom[..at].rfind('<').unwrap();
    let tag_end = at + dom[at..].find('>').unwrap();
    let name: String = dom[open + 1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    // Matching close tag, counting nested elements of the same name.
    let (mut depth, mut i) = (1, tag_end + 1);
    let (open_pat, close_pat) = (format!("<{name}"), format!("</{name}>"));
    let end = loop {
        let next_close = i + dom[i..].find(&close_pat).unwrap();
        match dom[i..next_close].find(&open_pat) {
            Some(o) => {
                depth += 1;
                i += o + open_pat.len();
            }
            None => {
                depth -= 1;
                if depth == 0 {
                    break next_close;
                }
                i = next_close + close_pat.len();
            }
        }
    };
    (&dom[open..=tag_end], text(&dom[tag_end + 1..end]))
}

/// Text content: tags removed, the entities our page uses decoded.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

fn is_hidden(start_tag: &str) -> bool {
    start_tag.contains(" hidden")
}

/// 3 segments, 50 customers; customer 5 gets an ID full of characters that need escaping
/// (in HTML, in JSON and in the URL).
/// Two figures are real cartera-plot charts, so the browser sees what the studies embed.
fn small_report() -> ReportData {
    let mut data = sample(3, 50);
    data.customers.ids[5] = "A&B <x> \"q\"/é #5".to_string();
    let names: Vec<String> = data.clusters.iter().map(|c| c.name.clone()).collect();
    let tiers: Vec<String> = TIERS.map(String::from).to_vec();
    let counts: Vec<Vec<usize>> = data
        .clusters
        .iter()
        .map(|c| c.tier_counts.clone())
        .collect();
    data.figures.push(Figure {
        title: "Elbow".into(),
        svg: cartera_plot::elbow(&[1, 2, 3, 4, 5], &[9.0, 4.0, 2.0, 1.8, 1.7], Some(3)).unwrap(),
    });
    data.clusters[0].figures.push(Figure {
        title: "Tiers per segment".into(),
        svg: cartera_plot::stacked_tiers(&names, &tiers, &counts).unwrap(),
    });
    data
}

fn assert_no_console_message(loaded: &Loaded) {
    assert!(
        loaded.console.is_empty(),
        "console messages:\n{}",
        loaded.console.join("\n")
    );
}

fn assert_clusters_table(dom: &str, data: &ReportData) {
    let (_, _) = element(dom, "clusters-table");
    let table = &dom[dom.find("id=\"clusters-table\"").unwrap()..];
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    let rows: Vec<&str> = body.split("<tr>").skip(1).collect();
    assert_eq!(rows.len(), data.clusters.len());
    for (row, c) in rows.iter().zip(&data.clusters) {
        let cells: Vec<String> = row
            .split("<td")
            .skip(1)
            .map(|cell| text(&cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()]))
            .collect();
        assert_eq!(cells[0], c.name);
        assert_eq!(cells[1].replace(',', ""), c.size.to_string());
        for (t, n) in c.tier_counts.iter().enumerate() {
            assert_eq!(
                cells[4 + t].replace(',', ""),
                n.to_string(),
                "{} {}",
                c.name,
                TIERS[t]
            );
        }
    }
}

#[test]
fn a_known_id_in_the_url_shows_its_segment_score_and_tier() {
    let Some(browser) = chromium() else { return };
    let data = small_report();
    let html = render(&data).unwrap();
    let c = &data.customers;
    for (row, name) in [(17, "known"), (5, "escaped")] {
        let id = &c.ids[row];
        let encoded: String = id
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let loaded = load(&browser, &html, &format!("lookup={encoded}"), name);
        assert_no_console_message(&loaded);
        let dom = &loaded.dom;
        assert_clusters_table(dom, &data);

        let (result_tag, _) = element(dom, "lookup-result");
        assert!(!is_hidden(result_tag), "{result_tag}");
        let (status_tag, status) = element(dom, "lookup-status");
        assert!(
            status_tag.contains("data-status=\"found\""),
            "{status_tag} {status}"
        );
        assert_eq!(element(dom, "lookup-id").1, *id);
        let segment = c.segment.as_ref().unwrap()[row] as usize;
        assert_eq!(
            element(dom, "lookup-segment").1,
            data.clusters[segment].name
        );
        let tier = c.tier.as_ref().unwrap()[row] as usize;
        assert_eq!(element(dom, "lookup-tier").1, TIERS[tier]);
        let score = c.score.as_ref().unwrap()[row];
        assert_eq!(element(dom, "lookup-score").1, format!("{score:.3}"));
    }
}

#[test]
fn an_unknown_id_is_not_found() {
    let Some(browser) = chromium() else { return };
    let data = small_report();
    let loaded = load(
        &browser,
        &render(&data).unwrap(),
        "lookup=NO-SUCH-ID",
        "unknown",
    );
    assert_no_console_message(&loaded);
    let dom = &loaded.dom;
    let (status_tag, status) = element(dom, "lookup-status");
    assert!(
        status_tag.contains("data-status=\"not-found\""),
        "{status_tag}"
    );
    assert_eq!(status, "Customer NO-SUCH-ID not found.");
    assert!(is_hidden(element(dom, "lookup-details").0));
    assert_clusters_table(dom, &data);
}

#[test]
fn the_hash_opens_a_cluster_tab_and_the_first_is_open_by_default() {
    let Some(browser) = chromium() else { return };
    let html = render(&small_report()).unwrap();
    let loaded = load(&browser, &html, "cluster-2", "tab");
    assert_no_console_message(&loaded);
    let dom = &loaded.dom;
    assert!(
        element(dom, "cluster-2")
            .0
            .contains("class=\"cluster-page active\"")
    );
    assert!(!element(dom, "cluster-0").0.contains("active"));
    // Without a hash: the first page is open, the look-up answer hidden.
    let loaded = load(&browser, &html, "", "plain");
    assert_no_console_message(&loaded);
    assert!(loaded.dom.contains("<html lang=\"en\" class=\"js\">"));
    assert!(element(&loaded.dom, "cluster-0").0.contains("active"));
    assert!(is_hidden(element(&loaded.dom, "lookup-result").0));
}

/// The console check can fail: a script error and a blocked network request in an otherwise
/// correct report are both seen.
#[test]
fn the_console_check_sees_script_errors_and_blocked_requests() {
    let Some(browser) = chromium() else { return };
    let html = render(&small_report()).unwrap();
    let broken = html.replace(
        "</body>",
        "<script>undefinedFunction();</script><img src=\"http://127.0.0.1:9/x.png\"></body>",
    );
    let loaded = load(&browser, &broken, "lookup=NO-SUCH-ID", "broken");
    let console = loaded.console.join("\n");
    assert!(
        console.contains("Uncaught ReferenceError: undefinedFunction is not defined"),
        "{console}"
    );
    assert!(console.contains("Content Security Policy"), "{console}");
    // The report's own script still ran.
    assert!(
        element(&loaded.dom, "lookup-status")
            .0
            .contains("not-found")
    );
}

/// Study 004's 371,589 customers: the browser parses the ~11 MB page and finds the last
/// customer (the whole index is built on that first look-up).
#[test]
fn a_telco_sized_report_answers_in_the_browser() {
    let Some(browser) = chromium() else { return };
    let n = 371_589;
    let data = sample(4, n);
    let html = render(&data).unwrap();
    let row = n - 1;
    let id = &data.customers.ids[row];
    let start = Instant::now();
    let loaded = load(&browser, &html, &format!("lookup={id}"), "telco");
    eprintln!(
        "{n} customers: {:.1} MB opened and looked up in {:.2?}",
        html.len() as f64 / 1e6,
        start.elapsed()
    );
    assert_no_console_message(&loaded);
    let dom = &loaded.dom;
    assert!(
        element(dom, "lookup-status")
            .0
            .contains("data-status=\"found\"")
    );
    let tier = data.customers.tier.as_ref().unwrap()[row] as usize;
    assert_eq!(element(dom, "lookup-tier").1, TIERS[tier]);
    let segment = data.customers.segment.as_ref().unwrap()[row] as usize;
    assert_eq!(
        element(dom, "lookup-segment").1,
        data.clusters[segment].name
    );
    assert_clusters_table(dom, &data);
}
