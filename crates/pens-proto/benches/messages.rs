//! Encode, decode and validate cost per PENS message (CMI010 §5, §6.3, §6.4), on the
//! fixture messages in `fixtures/messages/`: what the harness spends on the protocol
//! itself for every collect, answer, receipt and alert it handles.
//!
//! `cargo bench -p pens-proto` (criterion; HTML under `target/criterion/`).

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pens_proto::{
    CheckContext, CollectCommand, Notification, NotificationKind, assess_collect, check_notification, decode_mail_body,
    parse_response,
};
use time::macros::datetime;

const COLLECT: &[u8] = include_bytes!("../../../fixtures/messages/collect-valid.form");
const COLLECT_EVERY_ELEMENT: &[u8] = include_bytes!("../../../fixtures/messages/collect-every-element.form");
const RECEIPT: &[u8] = include_bytes!("../../../fixtures/messages/receipt-valid.form");
const RESPONSE: &[u8] = include_bytes!("../../../fixtures/messages/response-valid.txt");

/// A mailed receipt as the reference target writes it: free text, then name=value lines.
const MAIL_BODY: &str = "The package was retrieved.\r\n\r\ncommand=receipt\r\npens-version=1.0.0\r\npackage-type=scorm-pif\r\npackage-type-version=2004\r\npackage-format=zip\r\npackage-id=https://authoring.example/courses/safety-101\r\npackage-url=https://staging.example/packages/safety-101.zip\r\npackage-url-expiry=2099-12-31T23:59:59Z\r\nclient=Reference LMS\r\nerror=0\r\nerror-text=package retrieved\r\n";

fn trimmed(message: &[u8]) -> &[u8] {
    message.strip_suffix(b"\n").unwrap_or(message)
}

fn collect(c: &mut Criterion) {
    let mut group = c.benchmark_group("collect");
    group.throughput(Throughput::Elements(1));
    let body = trimmed(COLLECT);
    group.bench_function("decode", |b| b.iter(|| CollectCommand::decode(black_box(body))));
    let decoded = CollectCommand::decode(body);
    group.bench_function("encode", |b| b.iter(|| black_box(&decoded.command).to_form()));
    let context = CheckContext::at(datetime!(2026-06-01 00:00 UTC));
    group.bench_function("validate", |b| b.iter(|| assess_collect(black_box(&decoded.command), &context)));
    let every = trimmed(COLLECT_EVERY_ELEMENT);
    group.bench_function("decode+validate every element", |b| {
        b.iter(|| assess_collect(&CollectCommand::decode(black_box(every)).command, &context))
    });
    group.finish();
}

fn response(c: &mut Criterion) {
    let mut group = c.benchmark_group("response");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse", |b| b.iter(|| parse_response(black_box(RESPONSE))));
    let parsed = parse_response(RESPONSE).response().expect("the fixture is a valid response");
    group.bench_function("encode", |b| b.iter(|| black_box(&parsed).encode()));
    group.finish();
}

fn notification(c: &mut Criterion) {
    let mut group = c.benchmark_group("receipt");
    group.throughput(Throughput::Elements(1));
    let body = trimmed(RECEIPT);
    group.bench_function("decode", |b| b.iter(|| Notification::decode(black_box(body))));
    let decoded = Notification::decode(body);
    group.bench_function("encode", |b| b.iter(|| black_box(&decoded.notification).to_form()));
    let collect = CollectCommand::decode(trimmed(COLLECT)).command;
    group.bench_function("validate", |b| {
        b.iter(|| check_notification(black_box(&decoded.notification), Some(NotificationKind::Receipt), Some(&collect)))
    });
    group.bench_function("decode mailed", |b| b.iter(|| decode_mail_body(black_box(MAIL_BODY))));
    group.finish();
}

criterion_group!(benches, collect, response, notification);
criterion_main!(benches);
