//! `cargo xtask bench upload [--size-mib N] [--rounds R]`: upload throughput (tus, and the
//! multipart upload the page uses) and server memory against the disk's own limit.
//!
//! 1. Builds `vidpush-server` with the `native-release` profile and starts it on loopback with a
//!    data folder under `target/bench-upload/`, on the same disk as everything it is compared to.
//! 2. Each round (default 3; medians are reported), interleaved so that other load on the
//!    machine falls on all alike:
//!    - the disk's limit: `dd if=/dev/zero of=<data>/dd.test bs=1M count=N conv=fdatasync`, and
//!      the same with the upload's own bytes fed to dd's stdin (`iflag=fullblock`), which
//!      compares like with like should the disk or its host treat zeros specially;
//!    - one tus upload of N MiB (default 2048) sent in a single PATCH;
//!    - one of the same size sent in 64 MiB PATCHes;
//!    - one multipart upload of the same size as the page sends it: the server's part size,
//!      [`MULTIPART_PARALLEL`] parts at a time, each signed, `PUT` to its signed URL (answered
//!      after the part's `fsync`) and named with its `ETag` in the completion.
//!
//!    Upload bytes are an MP4 `ftyp` header followed by pseudo-random bytes, produced on the fly
//!    from an 8 MiB pattern (no file is read), written by a plain HTTP/1.1 client on a
//!    `TcpStream` so that the client costs as little CPU as possible next to the server. The
//!    time runs from the first byte of the first PATCH (for multipart: from the first part's
//!    signing) to the server's last answer (the completion), which comes after its `fsync`, as
//!    `dd conv=fdatasync` includes its own. MB are 10^6 bytes, like dd's.
//! 3. The server's CPU time per GiB (`/proc/<pid>/stat`) is printed beside each rate: on a
//!    shared machine the rate swings with other load, the CPU cost hardly does. So is the
//!    1-minute load average.
//! 4. While the server works, its `/proc/<pid>/status` is sampled every 20 ms; the figure is the
//!    peak `VmRSS` (and `VmHWM`, the kernel's own peak) above the idle `VmRSS` before the first
//!    upload.
//!
//! Targets: each upload at ≥ 80% of the dd figure, RSS growth < 64 MiB. Every finished upload is
//! deleted (tus termination, multipart abort) and the whole data folder is removed at the end. Every wait
//! is bounded: the server must listen within a minute, sockets time out after ten minutes of
//! silence, and the server is killed at the end.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crate::process::{run as run_command, tool};
use vidpush_protocol::multipart::{
    CompleteMultipartRequest, CompletedPart, CreateMultipartRequest, CreateMultipartResponse,
    SignedPart,
};

/// Upload size when `--size-mib` is not given: the size issue 6 asks about.
const DEFAULT_SIZE_MIB: u64 = 2048;
/// Rounds when `--rounds` is not given: this VM's disk speed swings several-fold from minute to
/// minute, so the median of three interleaved rounds is reported. Each writes 4 × the size.
const DEFAULT_ROUNDS: usize = 3;
/// The chunk size of the chunked run: the server's own checkpoint interval.
const CHUNK_BYTES: u64 = 64 * 1024 * 1024;
/// The repeated pattern the upload bytes come from: large enough to defeat nothing in
/// particular (ext4 neither compresses nor deduplicates), small enough to build in a blink.
const PATTERN_BYTES: usize = 8 * 1024 * 1024;
/// The client's write size: large writes keep the client's CPU share small.
const CLIENT_WRITE_BYTES: usize = 1024 * 1024;
/// Parts in flight at once in the multipart run: what the page sends
/// (`vidpush::multipart::PARALLEL_PARTS`, measured in Chromium).
const MULTIPART_PARALLEL: usize = 4;
/// How often the server's memory is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// How long the server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest silence on a socket before the run gives up (a 2 GiB fsync on a slow disk is slow).
const SOCKET_TIMEOUT: Duration = Duration::from_secs(600);
/// Upload throughput target, as a share of the dd figure.
const TARGET_SHARE_OF_DISK: f64 = 0.8;
/// Server memory growth target while uploading.
const TARGET_RSS_GROWTH_BYTES: u64 = 64 * 1024 * 1024;
/// An MP4 `ftyp` box: the first bytes of every upload, so the server's sniff takes it as video.
const FTYP: &[u8] = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41";

/// Runs the benchmark.
pub fn run(root: &Path, args: &[&str]) -> crate::Result {
    let option = |name: &str| -> crate::Result<Option<u64>> {
        match args.iter().position(|a| *a == name) {
            None => Ok(None),
            Some(i) => args
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .map(Some)
                .ok_or_else(|| format!("{name} needs a whole number").into()),
        }
    };
    let size_mib = option("--size-mib")?.unwrap_or(DEFAULT_SIZE_MIB).max(1);
    let rounds = option("--rounds")?.map_or(DEFAULT_ROUNDS, |r| r.max(1) as usize);

    run_command(
        tool("cargo").current_dir(root).args([
            "build",
            "--profile",
            "native-release",
            "-p",
            "vidpush-server",
        ]),
        "building vidpush-server",
    )?;
    let target = target_dir(root);
    let data = target.join("bench-upload");
    let log = target.join("bench-upload-server.log");
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    std::fs::create_dir_all(&data)?;
    let mut server = Command::new(target.join("native-release").join("vidpush-server"))
        .args(["--listen", "127.0.0.1:0", "--static-dir", "/nonexistent"])
        .arg("--data-dir")
        .arg(&data)
        .arg("--max-upload-bytes")
        .arg((size_mib << 20).to_string())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .map_err(|e| format!("could not start vidpush-server: {e}"))?;
    println!("server log: {}", log.display());
    let outcome = measure(&mut server, &data, size_mib, rounds);
    let _ = server.kill();
    let _ = server.wait();
    std::fs::remove_dir_all(&data)?;
    outcome
}

/// Figures of one round.
struct Round {
    /// dd of zeros, the figure issue 6 names.
    disk_zeros: f64,
    /// dd of the upload's own bytes, in case the disk or its host treats zeros specially.
    disk_same_bytes: f64,
    single: Upload,
    chunked: Upload,
    multipart: Upload,
}

/// One measured upload.
struct Upload {
    /// MB/s from the first byte sent to the last answer.
    rate: f64,
    /// Peak sampled VmRSS during the upload, in bytes.
    peak_rss: u64,
    /// The server's CPU time (user + system) per GiB: unlike the rate, it hardly depends on
    /// what else the machine is doing.
    cpu_per_gib: f64,
}

/// Waits for the server to listen, then runs the rounds and prints the figures.
fn measure(server: &mut Child, data: &Path, size_mib: u64, rounds: usize) -> crate::Result {
    let stdout = server.stdout.take().ok_or("the server's stdout is piped")?;
    let (lines, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let ready = receive
        .recv_timeout(START_TIMEOUT)
        .map_err(|_| "vidpush-server did not start listening within a minute")?;
    let addr = ready
        .strip_prefix("vidpush listening on http://")
        .map(|rest| rest.trim_end_matches('/').to_owned())
        .ok_or_else(|| format!("unexpected first line from the server: {ready:?}"))?;
    let pid = server.id();
    let idle_rss = memory(pid, "VmRSS:")?;
    let size = size_mib << 20;
    let pattern = pattern();
    println!(
        "{size_mib} MiB per run, {rounds} round(s); server pid {pid}, idle VmRSS {}",
        mib(idle_rss)
    );

    let mut results = Vec::new();
    for round in 1..=rounds {
        let disk_zeros = disk_rate(data, size_mib, None)?;
        println!("round {round}: dd if=/dev/zero conv=fdatasync {disk_zeros:.1} MB/s");
        let disk_same_bytes = disk_rate(data, size_mib, Some(&pattern))?;
        println!("round {round}: dd of the upload bytes conv=fdatasync {disk_same_bytes:.1} MB/s");
        let single = upload(&addr, pid, &pattern, size, size)?;
        println!(
            "round {round}: one PATCH {:.1} MB/s, server CPU {:.2} s/GiB, peak VmRSS {}, load {}",
            single.rate,
            single.cpu_per_gib,
            mib(single.peak_rss),
            load_average()
        );
        let chunked = upload(&addr, pid, &pattern, size, CHUNK_BYTES)?;
        println!(
            "round {round}: 64 MiB PATCHes {:.1} MB/s, server CPU {:.2} s/GiB, peak VmRSS {}, load {}",
            chunked.rate,
            chunked.cpu_per_gib,
            mib(chunked.peak_rss),
            load_average()
        );
        let multipart = upload_multipart(&addr, pid, &pattern, size)?;
        println!(
            "round {round}: multipart, {MULTIPART_PARALLEL} parts at a time {:.1} MB/s, server CPU {:.2} s/GiB, peak VmRSS {}, load {}",
            multipart.rate,
            multipart.cpu_per_gib,
            mib(multipart.peak_rss),
            load_average()
        );
        results.push(Round {
            disk_zeros,
            disk_same_bytes,
            single,
            chunked,
            multipart,
        });
    }
    let peak_hwm = memory(pid, "VmHWM:")?;
    report(&results, idle_rss, peak_hwm);
    Ok(())
}

/// Prints medians, memory growth and the verdicts.
fn report(results: &[Round], idle_rss: u64, peak_hwm: u64) {
    let median = |f: fn(&Round) -> f64| {
        let mut values: Vec<f64> = results.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let zeros = median(|r| r.disk_zeros);
    let same = median(|r| r.disk_same_bytes);
    let peak_rss = results
        .iter()
        .flat_map(|r| [r.single.peak_rss, r.chunked.peak_rss, r.multipart.peak_rss])
        .max()
        .unwrap_or(idle_rss);
    let growth = peak_rss.max(peak_hwm).saturating_sub(idle_rss);
    println!();
    println!(
        "medians of {} round(s)        {:>10} {:>12} {:>17} {:>12}",
        results.len(),
        "MB/s",
        "of dd zeros",
        "of dd same bytes",
        "CPU s/GiB"
    );
    println!("{:<32} {:>10.1}", "dd if=/dev/zero conv=fdatasync", zeros);
    println!("{:<32} {:>10.1}", "dd upload bytes conv=fdatasync", same);
    let (mut met_zeros, mut met_same) = (true, true);
    type Pick = fn(&Round) -> &Upload;
    let multipart = format!("multipart, {MULTIPART_PARALLEL} parts at a time");
    let runs: [(&str, Pick); 3] = [
        ("tus, one PATCH", |r| &r.single),
        ("tus, 64 MiB PATCHes", |r| &r.chunked),
        (&multipart, |r| &r.multipart),
    ];
    for (name, pick) in runs {
        // Shares are medians of each round's own ratio: a round's dd and uploads ran minutes
        // apart under much the same load.
        let share = |disk: fn(&Round) -> f64| {
            let mut values: Vec<f64> = results.iter().map(|r| pick(r).rate / disk(r)).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let (of_zeros, of_same) = (share(|r| r.disk_zeros), share(|r| r.disk_same_bytes));
        met_zeros &= of_zeros >= TARGET_SHARE_OF_DISK;
        met_same &= of_same >= TARGET_SHARE_OF_DISK;
        let mut rates: Vec<f64> = results.iter().map(|r| pick(r).rate).collect();
        let mut cpus: Vec<f64> = results.iter().map(|r| pick(r).cpu_per_gib).collect();
        rates.sort_by(f64::total_cmp);
        cpus.sort_by(f64::total_cmp);
        println!(
            "{:<32} {:>10.1} {:>11.0}% {:>16.0}% {:>12.2}",
            name,
            rates[rates.len() / 2],
            100.0 * of_zeros,
            100.0 * of_same,
            cpus[cpus.len() / 2]
        );
    }
    println!(
        "server memory: idle VmRSS {}, peak sampled VmRSS {}, VmHWM {}: growth {}",
        mib(idle_rss),
        mib(peak_rss),
        mib(peak_hwm),
        mib(growth)
    );
    let verdict = |met: bool| if met { "met" } else { "missed" };
    println!(
        "target: uploads ≥ {:.0}% of dd — {} against zeros, {} against the same bytes",
        TARGET_SHARE_OF_DISK * 100.0,
        verdict(met_zeros),
        verdict(met_same)
    );
    println!(
        "target: RSS growth < {} — {}",
        mib(TARGET_RSS_GROWTH_BYTES),
        if growth < TARGET_RSS_GROWTH_BYTES {
            "met"
        } else {
            "missed"
        }
    );
}

/// The disk's sequential write rate with a final `fdatasync`, as dd reports it, in MB/s: of
/// zeros from `/dev/zero`, or, given a pattern, of the upload's own bytes fed through stdin.
fn disk_rate(data: &Path, size_mib: u64, pattern: Option<&[u8]>) -> crate::Result<f64> {
    let file = data.join("dd.test");
    let mut dd = Command::new("dd");
    dd.arg(format!("of={}", file.display()))
        .args(["bs=1M", &format!("count={size_mib}"), "conv=fdatasync"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match pattern {
        None => dd.arg("if=/dev/zero").stdin(Stdio::null()),
        Some(_) => dd.arg("iflag=fullblock").stdin(Stdio::piped()),
    };
    let mut child = dd.spawn().map_err(|e| format!("could not run dd: {e}"))?;
    if let (Some(pattern), Some(mut stdin)) = (pattern, child.stdin.take()) {
        // Ends when all bytes are written or dd goes away (a closed pipe fails the write).
        let _ = send_pattern(&mut stdin, pattern, 0, size_mib << 20);
    }
    let output = child.wait_with_output()?;
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("dd failed: {}", text.trim()).into());
    }
    dd_rate(&text).ok_or_else(|| format!("could not read dd's summary: {}", text.trim()).into())
}

/// MB/s from dd's last line, "<bytes> bytes (…) copied, <seconds> s, <rate>": computed from
/// bytes and seconds rather than the rounded, unit-switching rate.
fn dd_rate(text: &str) -> Option<f64> {
    let line = text.lines().rev().find(|l| l.contains(" copied, "))?;
    let bytes: f64 = line.split_whitespace().next()?.parse().ok()?;
    let seconds: f64 = line
        .split(" copied, ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    (seconds > 0.0).then(|| bytes / seconds / 1e6)
}

/// Uploads `size` bytes in PATCHes of `chunk` bytes, deletes the upload, and returns the rate
/// and the server's peak memory meanwhile.
fn upload(addr: &str, pid: u32, pattern: &[u8], size: u64, chunk: u64) -> crate::Result<Upload> {
    let created = request(
        addr,
        "POST",
        "/api/uploads",
        &[("Upload-Length", size)],
        Body::None,
    )?;
    created.expect(201, "creating the upload")?;
    let location = created
        .header("location")
        .ok_or("the server created an upload without a Location")?
        .to_owned();

    let sampler = Sampler::start(pid);
    let cpu_before = cpu_seconds(pid)?;
    let started = Instant::now();
    let mut offset = 0;
    while offset < size {
        let end = (offset + chunk).min(size);
        let answer = request(
            addr,
            "PATCH",
            &location,
            &[("Upload-Offset", offset)],
            Body::Bytes {
                pattern,
                start: offset,
                end,
                content_type: "application/offset+octet-stream",
            },
        )?;
        answer.expect(204, "sending a PATCH")?;
        let confirmed = answer.header("upload-offset").and_then(|v| v.parse().ok());
        if confirmed != Some(end) {
            return Err(format!("the server confirmed {confirmed:?} bytes, not {end}").into());
        }
        offset = end;
    }
    let elapsed = started.elapsed();
    let cpu = cpu_seconds(pid)? - cpu_before;
    let peak_rss = sampler.stop()?;

    let status = request(addr, "HEAD", &location, &[], Body::None)?;
    status.expect(200, "asking for the offset")?;
    if status.header("upload-offset") != Some(&size.to_string()) {
        return Err("the finished upload's HEAD does not report its full size".into());
    }
    request(addr, "DELETE", &location, &[], Body::None)?.expect(204, "deleting the upload")?;
    Ok(Upload {
        rate: size as f64 / elapsed.as_secs_f64() / 1e6,
        peak_rss,
        cpu_per_gib: cpu * (1u64 << 30) as f64 / size as f64,
    })
}

/// Uploads `size` bytes as the page does with the multipart API ([`MULTIPART_PARALLEL`] parts at
/// a time), aborts the upload, and returns the rate and the server's peak memory meanwhile.
fn upload_multipart(addr: &str, pid: u32, pattern: &[u8], size: u64) -> crate::Result<Upload> {
    let body = serde_json::to_string(&CreateMultipartRequest {
        file_name: "bench.mp4".into(),
        file_type: "video/mp4".into(),
        size,
    })?;
    let created = request(addr, "POST", "/api/multipart", &[], Body::Json(body))?;
    created.expect(201, "creating the multipart upload")?;
    let created: CreateMultipartResponse = serde_json::from_str(&created.body)?;
    let id = created.upload_id.as_str();

    let sampler = Sampler::start(pid);
    let cpu_before = cpu_seconds(pid)?;
    let started = Instant::now();
    let next = std::sync::atomic::AtomicU32::new(1);
    let etags = std::sync::Mutex::new(vec![String::new(); created.part_count as usize]);
    // Each sender takes the next part until none is left, as the page's parallel parts do.
    let send_parts = || -> Result<(), String> {
        loop {
            let number = next.fetch_add(1, Ordering::Relaxed);
            if number > created.part_count {
                return Ok(());
            }
            let sign = format!("/api/multipart/{id}/parts/{number}/url");
            let signed = request(addr, "GET", &sign, &[], Body::None).map_err(|e| e.to_string())?;
            signed
                .expect(200, "signing a part")
                .map_err(|e| e.to_string())?;
            let signed: SignedPart =
                serde_json::from_str(&signed.body).map_err(|e| e.to_string())?;
            let start = u64::from(number - 1) * created.part_size;
            let answer = request(
                addr,
                "PUT",
                &format!("/{}", signed.url),
                &[],
                Body::Bytes {
                    pattern,
                    start,
                    end: (start + created.part_size).min(size),
                    content_type: "application/octet-stream",
                },
            )
            .map_err(|e| e.to_string())?;
            answer
                .expect(200, "sending a part")
                .map_err(|e| e.to_string())?;
            let etag = answer
                .header("etag")
                .ok_or("a stored part without an ETag")?;
            etags.lock().map_err(|_| "a sender panicked")?[number as usize - 1] = etag.to_owned();
        }
    };
    std::thread::scope(|scope| {
        let senders: Vec<_> = (0..MULTIPART_PARALLEL)
            .map(|_| scope.spawn(send_parts))
            .collect();
        senders
            .into_iter()
            .map(|sender| sender.join().unwrap_or(Err("a sender panicked".into())))
            .collect::<Result<Vec<()>, String>>()
    })?;
    let parts = etags
        .into_inner()
        .map_err(|_| "a sender panicked")?
        .into_iter()
        .zip(1..)
        .map(|(etag, part_number)| CompletedPart { part_number, etag })
        .collect();
    let body = serde_json::to_string(&CompleteMultipartRequest { parts })?;
    let complete = format!("/api/multipart/{id}/complete");
    request(addr, "POST", &complete, &[], Body::Json(body))?
        .expect(200, "completing the upload")?;
    let elapsed = started.elapsed();
    let cpu = cpu_seconds(pid)? - cpu_before;
    let peak_rss = sampler.stop()?;

    let abort = format!("/api/multipart/{id}");
    request(addr, "DELETE", &abort, &[], Body::None)?.expect(204, "deleting the upload")?;
    Ok(Upload {
        rate: size as f64 / elapsed.as_secs_f64() / 1e6,
        peak_rss,
        cpu_per_gib: cpu * (1u64 << 30) as f64 / size as f64,
    })
}

/// What a request sends.
enum Body<'a> {
    None,
    /// A JSON text.
    Json(String),
    /// Bytes `start..end` of the endlessly repeated `pattern`.
    Bytes {
        pattern: &'a [u8],
        start: u64,
        end: u64,
        content_type: &'static str,
    },
}

/// A server's answer: status and headers (names lower-cased).
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn expect(&self, status: u16, what: &str) -> crate::Result {
        if self.status == status {
            Ok(())
        } else {
            Err(format!(
                "{what} got {} instead of {status}: {}",
                self.status, self.body
            )
            .into())
        }
    }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`), with the tus header on
/// tus paths, `headers`, and `body`.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, u64)],
    body: Body,
) -> crate::Result<Answer> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(SOCKET_TIMEOUT))?;
    stream.set_write_timeout(Some(SOCKET_TIMEOUT))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if path.starts_with("/api/uploads") {
        head.push_str("Tus-Resumable: 1.0.0\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let (content_type, length) = match &body {
        Body::None => (None, 0),
        Body::Json(json) => (Some("application/json"), json.len() as u64),
        Body::Bytes {
            start,
            end,
            content_type,
            ..
        } => (Some(*content_type), end - start),
    };
    if let Some(content_type) = content_type {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    match body {
        Body::None => {}
        Body::Json(json) => stream.write_all(json.as_bytes())?,
        Body::Bytes {
            pattern,
            start,
            end,
            ..
        } => {
            // A server that refuses early closes the connection: its answer says why.
            let _ = send_pattern(&mut stream, pattern, start, end);
        }
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_answer(&raw).ok_or_else(|| {
        format!(
            "{method} {path}: unreadable answer {:?}",
            String::from_utf8_lossy(&raw)
        )
        .into()
    })
}

/// Writes bytes `start..end` of the endlessly repeated `pattern`.
fn send_pattern(
    stream: &mut impl Write,
    pattern: &[u8],
    start: u64,
    end: u64,
) -> std::io::Result<()> {
    let mut at = start;
    while at < end {
        let from = (at % pattern.len() as u64) as usize;
        let len = (pattern.len() - from)
            .min(CLIENT_WRITE_BYTES)
            .min((end - at) as usize);
        stream.write_all(&pattern[from..from + len])?;
        at += len as u64;
    }
    stream.flush()
}

/// Status, headers and body of a complete HTTP/1.1 answer.
fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(Answer {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// Samples a process's VmRSS on a thread until stopped; keeps the peak.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Result<u64, String>>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stop = stop.clone();
            move || -> Result<u64, String> {
                let mut peak = 0;
                // Ends when the upload ends: the upload itself is bounded by socket timeouts.
                while !stop.load(Ordering::Relaxed) {
                    peak = peak.max(memory(pid, "VmRSS:").map_err(|e| e.to_string())?);
                    std::thread::sleep(SAMPLE_EVERY);
                }
                Ok(peak.max(memory(pid, "VmRSS:").map_err(|e| e.to_string())?))
            }
        });
        Self { stop, thread }
    }

    fn stop(self) -> crate::Result<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| "the memory sampler panicked")?
            .map_err(Into::into)
    }
}

/// A process's CPU time so far (user + system, `/proc/<pid>/stat` fields 14 and 15), in seconds.
fn cpu_seconds(pid: u32) -> crate::Result<f64> {
    /// Clock ticks per second: 100 on every Linux this runs on (`getconf CLK_TCK`).
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let field =
        |n: usize| -> Option<f64> { after_name.split_whitespace().nth(n - 3)?.parse().ok() };
    match (field(14), field(15)) {
        (Some(user), Some(system)) => Ok((user + system) / TICKS_PER_SECOND),
        _ => Err(format!("/proc/{pid}/stat has no CPU times").into()),
    }
}

/// The machine's 1-minute load average, to read the rates against.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// A `/proc/<pid>/status` field given in kB, in bytes.
fn memory(pid: u32, field: &str) -> crate::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| format!("/proc/{pid}/status has no {field} line").into())
}

/// The upload bytes: `ftyp`, then xorshift pseudo-random bytes (seeded, so runs are alike).
fn pattern() -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut bytes = Vec::with_capacity(PATTERN_BYTES);
    bytes.extend_from_slice(FTYP);
    while bytes.len() < PATTERN_BYTES {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(PATTERN_BYTES);
    bytes
}

/// `123.4 MiB`.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Where cargo puts build output: `CARGO_TARGET_DIR`, else `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::{cpu_seconds, dd_rate, memory, parse_answer};

    #[test]
    fn dd_rate_is_bytes_over_seconds() {
        let text = "2048+0 records in\n2048+0 records out\n\
                    2147483648 bytes (2.1 GB, 2.0 GiB) copied, 2.5 s, 859 MB/s\n";
        let rate = dd_rate(text).unwrap();
        assert!((rate - 858.993_459_2).abs() < 1e-6, "{rate}");
        assert_eq!(dd_rate("dd: error writing"), None);
    }

    #[test]
    fn answers_are_split_into_status_headers_and_body() {
        let raw = b"HTTP/1.1 204 No Content\r\nUpload-Offset: 42\r\ntus-resumable: 1.0.0\r\n\r\n";
        let answer = parse_answer(raw).unwrap();
        assert_eq!(answer.status, 204);
        assert_eq!(answer.header("upload-offset"), Some("42"));
        assert_eq!(answer.body, "");
    }

    #[test]
    fn own_cpu_time_and_memory_are_read_from_proc() {
        let busy: u64 = (0..20_000_000u64).fold(0, |a, b| a.wrapping_add(b * b));
        assert!(busy > 0);
        assert!(cpu_seconds(std::process::id()).unwrap() >= 0.0);
        assert!(memory(std::process::id(), "VmRSS:").unwrap() > 1024 * 1024);
    }
}
