//! The browser codec (`web`, built on `JSON.parse`/`JSON.stringify`) against serde, in
//! headless Chromium: every pinned text decodes to the value serde gives, every sent message
//! encodes to serde's exact text, and bad input is refused with the place it went wrong.
#![cfg(all(target_arch = "wasm32", feature = "web"))]

mod samples;

use vidpush_protocol::web::{self, FromJs};
use vidpush_protocol::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Decodes `json` with both codecs and requires the same value, equal to `expected`.
fn same_as_serde<T>(json: &str, expected: &T)
where
    T: FromJs + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let by_serde: T = serde_json::from_str(json).unwrap();
    assert_eq!(
        &by_serde, expected,
        "serde disagrees with the sample: {json}"
    );
    let by_browser: T = web::decode(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(
        by_browser, by_serde,
        "JSON.parse decoding differs from serde: {json}"
    );
}

#[wasm_bindgen_test]
fn every_event_decodes_as_serde_decodes_it() {
    for (event, json) in samples::events() {
        same_as_serde(&json, &event);
        same_as_serde(&json, &ServerMessage::Event(event));
    }
}

#[wasm_bindgen_test]
fn every_reply_decodes_as_serde_decodes_it() {
    for (reply, json) in samples::replies() {
        same_as_serde(json, &reply);
        same_as_serde(json, &ServerMessage::Reply(reply));
    }
}

#[wasm_bindgen_test]
fn http_answers_and_the_result_decode_as_serde_decodes_them() {
    let (response, json) = samples::create_job_response();
    same_as_serde(json, &response);
    let (error, json) = samples::api_error();
    same_as_serde(json, &error);
    let (check, json) = samples::connect_check();
    same_as_serde(json, &check);
    for (list, json) in samples::job_lists() {
        same_as_serde(json, &list);
    }
    let (health, json) = samples::health();
    same_as_serde(json, &health);
    for (config, json) in samples::client_configs() {
        same_as_serde(json, &config);
    }
    let (created, json) = samples::create_multipart_response();
    same_as_serde(json, &created);
    let (signed, json) = samples::signed_part();
    same_as_serde(json, &signed);
    for (listed, json) in samples::list_parts_responses() {
        same_as_serde(json, &listed);
    }
    let (completed, json) = samples::complete_multipart_response();
    same_as_serde(json, &completed);
    let result = samples::analysis_result();
    same_as_serde(&serde_json::to_string(&result).unwrap(), &result);
    same_as_serde(&serde_json::to_string_pretty(&result).unwrap(), &result);
}

#[wasm_bindgen_test]
fn sent_messages_encode_to_serdes_exact_text() {
    for (action, json) in samples::actions() {
        assert_eq!(web::encode(&action), json);
        assert_eq!(
            web::encode(&action),
            serde_json::to_string(&action).unwrap()
        );
    }
    for (request, json) in samples::create_job_requests() {
        assert_eq!(web::encode(&request), json);
    }
    // JavaScript writes a whole number without `.0` where serde writes `2.0`: the text differs,
    // the value the server reads does not.
    for sensitivity in [0.5, 1.0, 2.0] {
        let request = CreateJobRequest {
            upload_id: "u1".into(),
            sensitivity: Some(sensitivity),
        };
        let read: CreateJobRequest = serde_json::from_str(&web::encode(&request)).unwrap();
        assert_eq!(read, request);
    }
    let (request, json) = samples::create_multipart_request();
    assert_eq!(web::encode(&request), json);
    assert_eq!(
        web::encode(&request),
        serde_json::to_string(&request).unwrap()
    );
    let (request, json) = samples::complete_multipart_request();
    assert_eq!(web::encode(&request), json);
    assert_eq!(
        web::encode(&request),
        serde_json::to_string(&request).unwrap()
    );
}

#[wasm_bindgen_test]
fn every_enum_name_serde_writes_is_read_back() {
    use vidpush_protocol::{ConnectVerdict as V, ErrorCode as E, TransitionKind as T};
    fn check<
        X: FromJs + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    >(
        all: &[X],
    ) {
        for value in all {
            same_as_serde(&serde_json::to_string(value).unwrap(), value);
        }
    }
    check(&[
        JobState::Queued,
        JobState::Running,
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelled,
    ]);
    check(&[Stage::Probing, Stage::Detecting, Stage::Finishing]);
    check(&[E::BadRequest, E::NotFound, E::Forbidden, E::Internal]);
    check(&[
        V::Ok,
        V::Unauthorized,
        V::OriginNotAllowed,
        V::Throttled,
        V::AtCapacity,
    ]);
    check(&[T::Start, T::Cut, T::Dissolve, T::Fade]);
    check(&[TechnicalCueType::BlackFrames]);
}

#[wasm_bindgen_test]
fn bad_input_is_refused_with_where_and_what() {
    let error = |json: &str| web::decode::<ServerMessage>(json).unwrap_err().to_string();
    assert_eq!(error("{not json"), "expected valid JSON");
    assert_eq!(error("[1]"), "expected an object");
    assert_eq!(
        error(r#"{"seq":1}"#),
        "`type`: expected a value (the field is missing)"
    );
    assert_eq!(
        error(r#"{"type":"job.nope","jobId":"j","seq":1,"atMs":0}"#),
        "`type`: expected a known job event type"
    );
    assert_eq!(
        error(r#"{"type":"job.started","jobId":"j","seq":-1,"atMs":0}"#),
        "`seq`: expected a whole number of at most 2^53 − 1"
    );
    assert_eq!(
        error(r#"{"type":"job.started","jobId":"j","seq":1.5,"atMs":0}"#),
        "`seq`: expected a whole number of at most 2^53 − 1"
    );
    assert_eq!(
        error(
            r#"{"type":"job.queued","jobId":"j","seq":1,"atMs":0,"fileName":null,"sizeBytes":1}"#
        ),
        "`fileName`: expected a string"
    );
    let (_, shot) = &samples::events()[4];
    let broken = shot.replace(r#""motion":0.125"#, r#""motion":"fast""#);
    assert_eq!(error(&broken), "`shot.facts.motion`: expected a number");
    let broken = shot.replace(r##"{"hex":"#1a2b3c","share":0.5}"##, r#"{"share":0.5}"#);
    assert_eq!(
        error(&broken),
        "`shot.facts.dominantColors[0].hex`: expected a value (the field is missing)"
    );
    assert_eq!(
        web::decode::<ConnectCheck>(r#"{"verdict":"maybe","status":101,"message":""}"#)
            .unwrap_err()
            .to_string(),
        "`verdict`: expected a connect verdict"
    );
    assert_eq!(
        web::decode::<ConnectCheck>(r#"{"verdict":"ok","status":70000,"message":""}"#)
            .unwrap_err()
            .to_string(),
        "`status`: expected a whole number of at most 65535"
    );
}

#[wasm_bindgen_test]
fn a_part_listing_with_a_bad_part_says_which_one() {
    assert_eq!(
        web::decode::<multipart::ListPartsResponse>(
            r#"{"parts":[{"partNumber":1,"size":1,"etag":"\"a\""},{"partNumber":0.5,"size":1,"etag":"\"b\""}]}"#
        )
        .unwrap_err()
        .to_string(),
        "`parts[1].partNumber`: expected a whole number of at most 2^53 − 1"
    );
}

#[wasm_bindgen_test]
fn unknown_fields_are_ignored_as_serde_ignores_them() {
    let (reply, _) = &samples::replies()[2];
    same_as_serde(r#"{"type":"pong","extra":[1,2,{"x":null}]}"#, reply);
}
