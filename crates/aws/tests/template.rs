//! The SAM template against the code: what `sam validate --lint` and `cfn-lint` cannot know.
//! A route the backend has but the API lacks, a table key the adapter does not use, a variable
//! the code reads but no function gets, a queue that hands a running job to a second worker:
//! each passes both validators and fails here.

use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use vidpush_aws::dynamodb::schema::{Key, TABLES, Table};
use vidpush_aws::settings;
use vidpush_aws::sqs;
use vidpush_server::backend::MESSAGE_ROUTES;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/template.yaml");
    let text = std::fs::read_to_string(path).expect("deploy/template.yaml exists");
    serde_yaml_ng::from_str(&text).expect("the template is YAML")
}

/// Every resource of `kind`, by logical id.
fn resources<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("the template has resources")
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .map(|(id, resource)| (id.as_str().expect("ids are text"), resource))
        .collect()
}

fn resource<'a>(template: &'a Value, id: &str) -> &'a Value {
    let found = &template["Resources"][id];
    assert!(!found.is_null(), "the template has no resource {id}");
    found
}

/// A `!Ref X` (or `{Ref: X}`) target.
fn ref_target(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Value::Mapping(map) => map.get("Ref").and_then(Value::as_str),
        _ => None,
    }
}

/// The text of a `!Sub "…"`.
fn sub_text(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Sub" => tagged.value.as_str(),
        _ => None,
    }
}

fn number(value: &Value) -> u64 {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("{value:?} is not a number"))
}

#[test]
fn the_websocket_api_routes_by_action_to_exactly_the_backends_routes() {
    let template = template();
    let apis = resources(&template, "AWS::ApiGatewayV2::Api");
    assert_eq!(apis.len(), 1);
    let api = apis[0].1;
    assert_eq!(
        api["Properties"]["ProtocolType"].as_str(),
        Some("WEBSOCKET")
    );
    assert_eq!(
        api["Properties"]["RouteSelectionExpression"].as_str(),
        Some("$request.body.action")
    );
    let routes: BTreeSet<&str> = resources(&template, "AWS::ApiGatewayV2::Route")
        .iter()
        .map(|(_, route)| {
            route["Properties"]["RouteKey"]
                .as_str()
                .expect("a route key")
        })
        .collect();
    let mut expected: BTreeSet<&str> = MESSAGE_ROUTES.into_iter().collect();
    expected.extend(["$connect", "$disconnect"]);
    assert_eq!(routes, expected);
}

#[test]
fn every_message_route_can_answer_its_sender() {
    let template = template();
    let responses: BTreeSet<&str> = resources(&template, "AWS::ApiGatewayV2::RouteResponse")
        .iter()
        .map(|(_, r)| ref_target(&r["Properties"]["RouteId"]).expect("RouteId is a !Ref"))
        .collect();
    for (id, route) in resources(&template, "AWS::ApiGatewayV2::Route") {
        let key = route["Properties"]["RouteKey"].as_str().unwrap_or_default();
        if MESSAGE_ROUTES.contains(&key) {
            assert_eq!(
                route["Properties"]["RouteResponseSelectionExpression"].as_str(),
                Some("$default"),
                "{id}: replies reach the client only with a route response"
            );
            assert!(responses.contains(id), "{id} has no RouteResponse");
        }
    }
}

fn key_schema(value: &Value) -> Vec<(String, String)> {
    value
        .as_sequence()
        .expect("a key schema")
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap().to_owned(),
                k["KeyType"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn expected_keys(partition: Key, sort: Option<Key>) -> Vec<(String, String)> {
    let mut keys = vec![(partition.name.to_owned(), "HASH".to_owned())];
    keys.extend(sort.map(|k| (k.name.to_owned(), "RANGE".to_owned())));
    keys
}

fn check_table(template: &Value, table: &Table) {
    let id = format!("{}Table", table.logical);
    let props = &resource(template, &id)["Properties"];
    assert_eq!(
        key_schema(&props["KeySchema"]),
        expected_keys(table.partition, table.sort),
        "{id}'s keys"
    );
    let mut attributes: Vec<(String, String)> = props["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap().to_owned(),
                a["AttributeType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    attributes.sort();
    let mut expected: Vec<(String, String)> = std::iter::once(table.partition)
        .chain(table.sort)
        .chain(
            table
                .indexes
                .iter()
                .flat_map(|i| std::iter::once(i.partition).chain(i.sort)),
        )
        .map(|k| (k.name.to_owned(), k.kind.to_owned()))
        .collect();
    expected.sort();
    expected.dedup();
    assert_eq!(attributes, expected, "{id}'s attribute definitions");
    let indexes = props["GlobalSecondaryIndexes"].as_sequence();
    assert_eq!(
        indexes.map_or(0, Vec::len),
        table.indexes.len(),
        "{id}'s indexes"
    );
    for index in table.indexes {
        let found = indexes
            .into_iter()
            .flatten()
            .find(|i| i["IndexName"].as_str() == Some(index.name))
            .unwrap_or_else(|| panic!("{id} lacks index {}", index.name));
        assert_eq!(
            key_schema(&found["KeySchema"]),
            expected_keys(index.partition, index.sort),
            "{id}'s index {}",
            index.name
        );
        assert_eq!(
            found["Projection"]["ProjectionType"].as_str(),
            Some(index.projection),
            "{id}'s index {} projection",
            index.name
        );
    }
    let ttl = &props["TimeToLiveSpecification"];
    match table.ttl {
        Some(attribute) => {
            assert_eq!(ttl["AttributeName"].as_str(), Some(attribute), "{id}'s TTL");
            assert_eq!(ttl["Enabled"].as_bool(), Some(true), "{id}'s TTL");
        }
        None => assert!(ttl.is_null(), "{id} has a TTL the code does not expect"),
    }
    assert_eq!(
        props["BillingMode"].as_str(),
        Some("PAY_PER_REQUEST"),
        "{id}"
    );
}

#[test]
fn tables_have_the_keys_indexes_and_ttl_the_adapter_uses() {
    let template = template();
    for table in &TABLES {
        check_table(&template, table);
    }
    assert_eq!(
        resources(&template, "AWS::DynamoDB::Table").len(),
        TABLES.len(),
        "a table the code does not know"
    );
}

fn env_names(variables: &Value) -> BTreeSet<String> {
    variables
        .as_mapping()
        .expect("environment variables")
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_function_gets_every_variable_the_code_reads() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    let given = env_names(&globals["Environment"]["Variables"]);
    for var in settings::function_vars() {
        assert!(given.contains(&var), "the functions are not given {var}");
    }
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        assert!(
            function["Properties"]["Environment"].is_null(),
            "{id} replaces the global environment"
        );
    }
}

#[test]
fn the_worker_gets_every_variable_it_reads() {
    let template = template();
    let task = &resource(&template, "WorkerTask")["Properties"];
    let container = &task["ContainerDefinitions"][0];
    let given: BTreeSet<String> = container["Environment"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v["Name"].as_str().unwrap().to_owned())
        .collect();
    for var in settings::worker_vars() {
        assert!(given.contains(&var), "the worker is not given {var}");
    }
}

#[test]
fn functions_are_rust_on_arm64_within_the_http_apis_time_limit() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Architectures"][0].as_str(), Some("arm64"));
    let global_timeout = number(&globals["Timeout"]);
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        assert_eq!(
            function["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id}"
        );
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} names no binary"));
        assert!(binary.starts_with("vidpush-"), "{id}: {binary}");
        let props = &function["Properties"];
        let timeout = if props["Timeout"].is_null() {
            global_timeout
        } else {
            number(&props["Timeout"])
        };
        // API Gateway stops waiting for an integration after 29 s (WebSocket) / 30 s (HTTP).
        assert!(
            timeout <= 29,
            "{id}: a timeout of {timeout} s outlives its API"
        );
        let memory = if props["MemorySize"].is_null() {
            number(&globals["MemorySize"])
        } else {
            number(&props["MemorySize"])
        };
        assert!((128..=10240).contains(&memory), "{id}: {memory} MB");
    }
}

#[test]
fn every_function_is_a_binary_of_the_lambda_crate() {
    let template = template();
    let bins = concat!(env!("CARGO_MANIFEST_DIR"), "/../lambda/src/bin");
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        assert_eq!(
            function["Properties"]["CodeUri"].as_str(),
            Some("../crates/lambda"),
            "{id}"
        );
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_default();
        let written = std::path::Path::new(bins)
            .join(format!("{binary}.rs"))
            .is_file();
        assert!(
            written,
            "{id} runs {binary}, which crates/lambda does not build"
        );
    }
}

#[test]
fn the_queue_never_hands_a_held_job_to_a_second_worker_and_dead_letters_poison() {
    let template = template();
    let queue = &resource(&template, "JobQueue")["Properties"];
    let visibility = number(&queue["VisibilityTimeout"]);
    assert_eq!(
        visibility,
        sqs::VISIBILITY.as_secs(),
        "the worker renews every third of its own window; the queue's must be the same"
    );
    let redrive = &queue["RedrivePolicy"];
    assert!(number(&redrive["maxReceiveCount"]) >= 2);
    assert!(!redrive["deadLetterTargetArn"].is_null());
    // No Lambda consumes the queue: the worker does, with no 15-minute cap.
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        if let Some(events) = function["Properties"]["Events"].as_mapping() {
            for event in events.values() {
                assert_ne!(
                    event["Type"].as_str(),
                    Some("SQS"),
                    "{id} consumes the queue"
                );
            }
        }
    }
}

#[test]
fn the_media_bucket_is_private_exposes_etag_and_aborts_stale_multipart_uploads() {
    let template = template();
    let bucket = &resource(&template, "MediaBucket")["Properties"];
    let block = &bucket["PublicAccessBlockConfiguration"];
    for flag in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block[flag].as_bool(), Some(true), "{flag}");
    }
    let rules = bucket["CorsConfiguration"]["CorsRules"]
        .as_sequence()
        .unwrap();
    assert!(rules.iter().any(|rule| {
        rule["ExposedHeaders"]
            .as_sequence()
            .is_some_and(|h| h.iter().any(|h| h.as_str() == Some("ETag")))
            && rule["AllowedMethods"]
                .as_sequence()
                .is_some_and(|m| m.iter().any(|m| m.as_str() == Some("PUT")))
    }));
    let lifecycle = bucket["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .unwrap();
    assert!(
        lifecycle
            .iter()
            .any(|rule| !rule["AbortIncompleteMultipartUpload"].is_null())
    );
}

#[test]
fn only_this_apis_stage_may_be_pushed_to() {
    let template = template();
    let mut grants = 0;
    let mut check = |statement: &Value, who: &str| {
        if statement["Action"].as_str() == Some("execute-api:ManageConnections") {
            let resource = sub_text(&statement["Resource"])
                .unwrap_or_else(|| panic!("{who}: ManageConnections on a fixed ARN"));
            assert!(
                resource.contains("${WebSocketApi}/${StageName}/"),
                "{who}: ManageConnections beyond this API's stage: {resource}"
            );
            assert!(!resource.contains(":*/"), "{who}: {resource}");
            grants += 1;
        }
    };
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        for policy in function["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                check(statement, id);
            }
        }
    }
    for (id, role) in resources(&template, "AWS::IAM::Role") {
        for policy in role["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            for statement in policy["PolicyDocument"]["Statement"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                check(statement, id);
            }
        }
    }
    assert!(grants >= 2, "the message function and the worker both push");
}

#[test]
fn the_worker_has_room_for_the_decoders_memory_limit() {
    let template = template();
    let task = &resource(&template, "WorkerTask")["Properties"];
    let memory_mib = number(&task["Memory"]);
    let decoder_mib = vidpush_analysis_limit_mib();
    assert!(
        memory_mib >= decoder_mib * 2,
        "{memory_mib} MiB for a decoder allowed {decoder_mib} MiB and the worker itself"
    );
    assert_eq!(
        task["RuntimePlatform"]["CpuArchitecture"].as_str(),
        Some("ARM64")
    );
}

/// The analysis's cap on a decoder's address space, in MiB.
fn vidpush_analysis_limit_mib() -> u64 {
    vidpush_analysis::options::DEFAULT_MAX_DECODER_MEMORY / (1024 * 1024)
}

#[test]
fn the_outputs_give_the_page_its_urls_and_publish_page_its_host() {
    let template = template();
    let outputs = &template["Outputs"];
    // What `ClientConfig::from_stack_outputs` and `cargo xtask publish-page` read.
    for key in [
        vidpush_protocol::http::WEBSOCKET_URL_OUTPUT,
        vidpush_protocol::http::API_URL_OUTPUT,
        "PageUrl",
        "PageBucketName",
        "PageDistributionId",
    ] {
        assert!(!outputs[key].is_null(), "the template has no {key} output");
    }
    let ws = sub_text(&outputs["WebSocketUrl"]["Value"]).expect("a wss URL");
    assert!(
        ws.starts_with("wss://") && ws.ends_with("/${StageName}"),
        "{ws}"
    );
    let api = sub_text(&outputs["ApiUrl"]["Value"]).expect("an https URL");
    assert!(api.starts_with("https://"), "{api}");
}
