//! `acm_delete_certificate`: delete a certificate nothing uses any more.
//!
//! The certificate is described first: one that a load balancer, CloudFront distribution or
//! API still uses is skipped with their names (deleting it would fail, and forcing it would
//! break them); one already gone is the bot's goal reached.

use aws_config::SdkConfig;
use aws_sdk_acm::types::CertificateDetail;
use cloudbots_runtime::aws_error::{bot_error, code};
use cloudbots_runtime::bot::{dry_run, entity_field, params, Bot};
use cloudbots_runtime::exclusion::{tag_in_listing, TagReader};
use cloudbots_runtime::verify::gone;
use cloudbots_shared::catalogue::TagSource;
use cloudbots_shared::error::BotError;
use cloudbots_shared::outcome::{BotInput, BotOutcome, OutcomeStatus};
use cloudbots_shared::params::NoParams;

/// The bots of this module.
pub const BOTS: &[Bot] = &[DELETE_CERTIFICATE];

pub const DELETE_CERTIFICATE: Bot = Bot {
    name: "acm_delete_certificate",
    tags: ACM_TAGS,
    run: |input, aws| Box::pin(delete_certificate(input, aws)),
};

/// ACM certificates, by ARN.
pub const ACM_TAGS: TagReader = TagReader::new(&[TagSource::AcmCertificate], |aws, _, arn, key| {
    Box::pin(read_certificate_tag(aws, arn, key))
});

async fn read_certificate_tag(
    aws: &SdkConfig,
    arn: &str,
    key: &str,
) -> Result<Option<String>, BotError> {
    let listed = aws_sdk_acm::Client::new(aws)
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await;
    tag_in_listing(listed, &[NOT_FOUND], arn, key, |out| {
        out.tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key, t.value))
    })
}

const NOT_FOUND: &str = "ResourceNotFoundException";

async fn delete_certificate(input: &BotInput, aws: &SdkConfig) -> Result<BotOutcome, BotError> {
    params::<NoParams>(input)?;
    let arn = entity_field(input, "certificateArn")?;
    let acm = aws_sdk_acm::Client::new(aws);
    let already_gone = || {
        BotOutcome::compliant(
            input,
            format!("Certificate {arn} does not exist (any more): nothing to delete"),
        )
    };
    let Some(certificate) = describe(&acm, arn).await? else {
        return Ok(already_gone());
    };
    let domain = certificate.domain_name().unwrap_or("?");
    if !certificate.in_use_by().is_empty() {
        return Ok(in_use(
            input,
            arn,
            domain,
            &certificate.in_use_by().join(", "),
        ));
    }
    let change = format!("delete certificate {arn} ({domain})");
    if dry_run(input) {
        return Ok(BotOutcome::would(
            input,
            format!("Would {change}"),
            vec![change],
        ));
    }
    match acm.delete_certificate().certificate_arn(arn).send().await {
        Ok(_) => {}
        Err(e) if code(&e) == Some(NOT_FOUND) => return Ok(already_gone()),
        // Put in use between the describe and the delete.
        Err(e) if code(&e) == Some("ResourceInUseException") => {
            return Ok(in_use(
                input,
                arn,
                domain,
                "a resource that started using it",
            ))
        }
        Err(e) => return Err(bot_error(&format!("deleting certificate {arn}"), e)),
    }
    let verified = gone(&format!("certificate {arn}"), || describe(&acm, arn)).await?;
    Ok(BotOutcome::new(
        input,
        OutcomeStatus::Remediated,
        format!("Deleted certificate {arn} ({domain})"),
    )
    .with_changes(vec![change])
    .with_verified(vec![verified]))
}

/// The certificate as ACM describes it now, or None when it does not exist.
async fn describe(
    acm: &aws_sdk_acm::Client,
    arn: &str,
) -> Result<Option<CertificateDetail>, BotError> {
    match acm.describe_certificate().certificate_arn(arn).send().await {
        Ok(out) => Ok(out.certificate),
        Err(e) if code(&e) == Some(NOT_FOUND) => Ok(None),
        Err(e) => Err(bot_error(&format!("describing certificate {arn}"), e)),
    }
}

fn in_use(input: &BotInput, arn: &str, domain: &str, users: &str) -> BotOutcome {
    BotOutcome::new(
        input,
        OutcomeStatus::Skipped,
        format!("Certificate {arn} ({domain}) is in use by {users}: not deleted"),
    )
}
