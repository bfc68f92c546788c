//! `ecs_delete_repository_image`: delete the container image whose scan findings the Log.ic
//! finding is about (its CloudTrail DescribeImageScanFindings event names the repository and
//! the image).
//!
//! The original never ran (an extra argument in its entry point), acted with the function's
//! own account and region, and read the event without decoding it; this one takes the image
//! from the event closest to the alert time, in the finding's account and region, checks the
//! image is still there, and deletes it by digest (every tag of that image goes with it).

use aws_config::SdkConfig;
use aws_sdk_ecr::types::{ImageDetail, ImageIdentifier};
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{make_changes, params, Bot};
use cloudbots_runtime::cloudtrail::{finding_events, DEFAULT_WINDOW};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::verify::gone;
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;
use serde_json::Value;

/// The bots of this module.
pub const BOTS: &[Bot] = &[DELETE_REPOSITORY_IMAGE];

pub const DELETE_REPOSITORY_IMAGE: Bot = Bot {
    name: "ecs_delete_repository_image",
    tags: ECR_TAGS,
    run: |input, aws| {
        Box::pin(async move {
            let cloudtrail = aws_sdk_cloudtrail::Client::new(aws);
            let ecr = aws_sdk_ecr::Client::new(aws);
            delete_repository_image_with(input, &cloudtrail, &ecr).await
        })
    },
};

/// ECR repositories, by ARN.
pub const ECR_TAGS: TagReader = TagReader::new(&[TagSource::EcrRepository], |aws, _, arn, key| {
    Box::pin(read_repository_tag(aws, arn, key))
});

/// The error codes ECR gives for a repository or an image that does not exist.
const GONE: [&str; 2] = ["RepositoryNotFoundException", "ImageNotFoundException"];

async fn read_repository_tag(
    aws: &SdkConfig,
    arn: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let listed = aws_sdk_ecr::Client::new(aws)
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await;
    tag_in_listing(listed, &GONE, arn, key, |out| {
        let tags = out.tags.unwrap_or_default().into_iter();
        tags.map(|t| (t.key, t.value))
    })
}

/// The CloudTrail event the finding is about.
const SCAN_EVENT: &str = "DescribeImageScanFindings";

/// The image an event names: its repository (and registry) and its digest or tag.
struct EventImage {
    registry: Option<String>,
    repository: String,
    digest: Option<String>,
    tag: Option<String>,
}

impl EventImage {
    /// From the event's request, else its response.
    fn of(record: &Value) -> Option<EventImage> {
        ["requestParameters", "responseElements"]
            .iter()
            .find_map(|part| {
                let part = &record[*part];
                let text = |value: &Value| value.as_str().map(str::to_string);
                let image = EventImage {
                    registry: text(&part["registryId"]),
                    repository: text(&part["repositoryName"])?,
                    digest: text(&part["imageId"]["imageDigest"]),
                    tag: text(&part["imageId"]["imageTag"]),
                };
                (image.digest.is_some() || image.tag.is_some()).then_some(image)
            })
    }

    fn label(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => format!("{}@{digest}", self.repository),
            (None, Some(tag)) => format!("{}:{tag}", self.repository),
            (None, None) => self.repository.clone(),
        }
    }
}

/// Delete the image of the finding's DescribeImageScanFindings event.
pub async fn delete_repository_image_with(
    input: &BotInput,
    cloudtrail: &aws_sdk_cloudtrail::Client,
    ecr: &aws_sdk_ecr::Client,
) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let skipped = |reason: String| Ok(BotOutcome::new(input, OutcomeStatus::Skipped, reason));
    let (events, time) = finding_events(input, cloudtrail, SCAN_EVENT).await?;
    // The finding's repository when it names one; the closest event otherwise.
    let repository = input.finding.entity_name.as_str();
    let Some(image) = events
        .iter()
        .filter_map(|e| EventImage::of(&e.record))
        .find(|image| repository.is_empty() || image.repository == repository)
    else {
        return skipped(format!(
            "No {SCAN_EVENT} event naming an image{} in CloudTrail within {} s of {time}: nothing to delete",
            match repository.is_empty() {
                true => String::new(),
                false => format!(" of repository {repository}"),
            },
            DEFAULT_WINDOW.as_secs()
        ));
    };
    let label = image.label();
    let wanted = ImageIdentifier::builder()
        .set_image_digest(image.digest.clone())
        .set_image_tag(image.tag.clone())
        .build();
    let Some(live) = live_image(ecr, &image, wanted, &label).await? else {
        return Ok(BotOutcome::compliant(
            input,
            format!("Image {label} does not exist (any more): nothing to delete"),
        ));
    };
    let Some(digest) = live.image_digest().map(str::to_string) else {
        return Err(BotError::invalid_input(format!(
            "ECR describes image {label} without a digest"
        )));
    };
    let tags = match live.image_tags().is_empty() {
        true => "untagged".to_string(),
        false => format!("tags {}", live.image_tags().join(", ")),
    };
    let change = format!(
        "delete image {}@{digest} ({tags}) from repository {}",
        image.repository, image.repository
    );
    let mut verified = Vec::new();
    let delete = async {
        let deleted = ecr
            .batch_delete_image()
            .set_registry_id(image.registry.clone())
            .repository_name(&image.repository)
            .image_ids(ImageIdentifier::builder().image_digest(&digest).build())
            .send()
            .await
            .map_err(|e| bot_error(&format!("deleting image {label}"), e))?;
        // A failure for an image already gone leaves nothing to do; any other is the step's.
        if let Some(failure) = deleted
            .failures()
            .iter()
            .find(|f| f.failure_code().map(|c| c.as_str()) != Some("ImageNotFound"))
        {
            return Err(BotError::invalid_input(format!(
                "ECR did not delete image {label}: {} {}",
                failure.failure_code().map_or("", |c| c.as_str()),
                failure.failure_reason().unwrap_or("")
            )));
        }
        let deleted = ImageIdentifier::builder().image_digest(&digest).build();
        let by_digest = format!("{}@{digest}", image.repository);
        verified.push(
            gone(&format!("image {by_digest}"), || {
                live_image(ecr, &image, deleted.clone(), &by_digest)
            })
            .await?,
        );
        Ok(())
    };
    let outcome = make_changes(
        input,
        vec![change],
        format!("Would delete image {label}"),
        delete,
        format!(
            "Deleted image {}@{digest} ({tags}) from repository {}",
            image.repository, image.repository
        ),
    )
    .await?;
    Ok(outcome.with_verified(verified))
}

/// The image `id` of the event's repository as ECR describes it now, or None when it (or its
/// repository) does not exist; `label` names it in an error.
async fn live_image(
    ecr: &aws_sdk_ecr::Client,
    image: &EventImage,
    id: ImageIdentifier,
    label: &str,
) -> Result<Option<ImageDetail>, BotError> {
    let described = ecr
        .describe_images()
        .set_registry_id(image.registry.clone())
        .repository_name(&image.repository)
        .image_ids(id)
        .send()
        .await;
    match described {
        Ok(out) => Ok(out.image_details.unwrap_or_default().into_iter().next()),
        Err(e) if code(&e).is_some_and(|c| GONE.contains(&c)) => Ok(None),
        Err(e) => Err(bot_error(&format!("describing image {label}"), e)),
    }
}
