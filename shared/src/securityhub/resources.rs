//! The one table from a Security Hub resource (ASFF `Aws…` type or OCSF CloudFormation-style
//! type) to the entity the bots read: the CloudGuard entity type, id and name, and the fields
//! some bots know their resource by (`queueUrl`, `topicArn`, `arn`, `vpc.id`, …).
//!
//! Ids come from the resource's details when the finding carries them, else from its ARN
//! (the part after the resource-type prefix), else from the native id OCSF gives as `uid`.

use super::Resource;
use crate::finding::as_text;
use crate::guardduty;
use serde_json::{json, Map, Value};

/// The entity a resource becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub id: String,
    pub name: String,
    pub value: Value,
}

/// One supported resource type.
pub struct ResourceKind {
    /// The ASFF `Resources[].Type`.
    pub asff: &'static str,
    /// The OCSF `resources[].type`.
    pub ocsf: &'static str,
    /// The CloudGuard entity type the bots know it by.
    pub entity_type: &'static str,
    build: fn(&Resource, &Place) -> Option<Built>,
}

/// Where the resource is: the finding's account and the resource's region.
struct Place<'a> {
    account: &'a str,
    region: &'a str,
}

/// What a row builds: id, name and the entity's other fields.
struct Built {
    id: String,
    name: String,
    fields: Map<String, Value>,
}

impl Built {
    fn new(id: impl Into<String>, name: impl Into<String>) -> Built {
        Built {
            id: id.into(),
            name: name.into(),
            fields: Map::new(),
        }
    }

    fn with(mut self, key: &str, value: impl Into<Value>) -> Built {
        self.fields.insert(key.to_string(), value.into());
        self
    }
}

/// Every resource type the Security Hub intake turns into an entity.
pub const RESOURCE_KINDS: &[ResourceKind] = &[
    ResourceKind {
        asff: "AwsEc2SecurityGroup",
        ocsf: "AWS::EC2::SecurityGroup",
        entity_type: "SecurityGroup",
        build: |r, _| {
            let id = detail(r, "GroupId").or_else(|| native_id(r, "security-group/", "sg-"))?;
            Some(
                Built::new(
                    id,
                    detail(r, "GroupName")
                        .or(r.name.clone())
                        .unwrap_or_default(),
                )
                .with("vpc", json!({"id": detail(r, "VpcId").unwrap_or_default()})),
            )
        },
    },
    ResourceKind {
        asff: "AwsEc2Instance",
        ocsf: "AWS::EC2::Instance",
        entity_type: "Instance",
        build: |r, place| {
            let id = native_id(r, "instance/", "i-")?;
            let vpc = detail(r, "VpcId")
                .or_else(|| as_text(r.details.pointer("/network_interfaces/0/vpc_id")))
                .unwrap_or_default();
            let name = r
                .tags
                .iter()
                .find(|(k, _)| k == "Name")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let entity = guardduty::instance_entity(&id, &name, &vpc, place.region, Value::Null);
            Some(Built {
                id,
                name,
                fields: entity.as_object().cloned().unwrap_or_default(),
            })
        },
    },
    ResourceKind {
        asff: "AwsEc2Vpc",
        ocsf: "AWS::EC2::VPC",
        entity_type: "VPC",
        build: |r, _| Some(Built::new(native_id(r, "vpc/", "vpc-")?, "")),
    },
    ResourceKind {
        asff: "AwsEc2NetworkAcl",
        ocsf: "AWS::EC2::NetworkAcl",
        entity_type: "NACL",
        build: |r, _| Some(Built::new(native_id(r, "network-acl/", "acl-")?, "")),
    },
    ResourceKind {
        asff: "AwsS3Bucket",
        ocsf: "AWS::S3::Bucket",
        entity_type: "S3Bucket",
        build: |r, _| {
            let bucket = arn_resource(r)
                .map(str::to_string)
                .or_else(|| Some(r.id.clone()).filter(|id| !id.starts_with("arn:")))?;
            Some(Built::new(bucket.clone(), bucket))
        },
    },
    ResourceKind {
        asff: "AwsKmsKey",
        ocsf: "AWS::KMS::Key",
        entity_type: "KMS",
        build: |r, _| {
            let key_id = native_id(r, "key/", "")?;
            Some(Built::new(r.arn.clone().unwrap_or(key_id.clone()), key_id))
        },
    },
    ResourceKind {
        asff: "AwsCloudTrailTrail",
        ocsf: "AWS::CloudTrail::Trail",
        entity_type: "CloudTrail",
        build: |r, _| {
            let arn = r.arn.clone()?;
            let name = arn_tail(&arn, "trail/")?;
            Some(Built::new(arn, name))
        },
    },
    ResourceKind {
        asff: "AwsIamUser",
        ocsf: "AWS::IAM::User",
        entity_type: "IamUser",
        build: |r, _| iam_principal(r, "user/", "UserId"),
    },
    ResourceKind {
        asff: "AwsIamRole",
        ocsf: "AWS::IAM::Role",
        entity_type: "IamRole",
        build: |r, _| iam_principal(r, "role/", "RoleId"),
    },
    ResourceKind {
        asff: "AwsIamPolicy",
        ocsf: "AWS::IAM::Policy",
        entity_type: "IamPolicy",
        build: |r, _| iam_principal(r, "policy/", "PolicyId"),
    },
    ResourceKind {
        asff: "AwsIamAccessKey",
        ocsf: "AWS::IAM::AccessKey",
        entity_type: "IamUser",
        build: |r, place| {
            let key_id = detail(r, "AccessKeyId")
                .or_else(|| {
                    r.id.strip_prefix("AWS::IAM::AccessKey:")
                        .map(str::to_string)
                })
                .unwrap_or_else(|| r.id.clone());
            let user = ["PrincipalName", "UserName", "user_name", "principal_name"]
                .iter()
                .find_map(|k| detail(r, k))?;
            let entity = guardduty::access_key_entity(&key_id, &user, place.region, Value::Null);
            Some(Built {
                id: key_id,
                name: user,
                fields: entity.as_object().cloned().unwrap_or_default(),
            })
        },
    },
    ResourceKind {
        asff: "AwsSqsQueue",
        ocsf: "AWS::SQS::Queue",
        entity_type: "Sqs",
        build: |r, place| {
            let url = Some(r.id.clone())
                .filter(|id| id.starts_with("https://"))
                .or_else(|| {
                    let arn = r.arn.as_deref()?;
                    let name = arn.rsplit(':').next()?;
                    let domain = if arn.starts_with("arn:aws-cn:") {
                        "amazonaws.com.cn"
                    } else {
                        "amazonaws.com"
                    };
                    Some(format!(
                        "https://sqs.{}.{domain}/{}/{name}",
                        place.region, place.account
                    ))
                })?;
            let name = url.rsplit('/').next().unwrap_or_default().to_string();
            Some(Built::new(r.arn.clone().unwrap_or(url.clone()), name).with("queueUrl", url))
        },
    },
    ResourceKind {
        asff: "AwsSnsTopic",
        ocsf: "AWS::SNS::Topic",
        entity_type: "SnsTopic",
        build: |r, _| {
            let arn = r.arn.clone()?;
            let name = arn.rsplit(':').next().unwrap_or_default().to_string();
            Some(Built::new(arn.clone(), name).with("topicArn", arn))
        },
    },
    ResourceKind {
        asff: "AwsLambdaFunction",
        ocsf: "AWS::Lambda::Function",
        entity_type: "Lambda",
        build: |r, _| {
            let arn = r.arn.clone()?;
            let name = arn_resource(r)?.strip_prefix("function:")?;
            let name = name.split(':').next().unwrap_or(name).to_string();
            Some(Built::new(arn, name))
        },
    },
    ResourceKind {
        asff: "AwsRdsDbInstance",
        ocsf: "AWS::RDS::DBInstance",
        entity_type: "RDS",
        build: |r, _| {
            let arn = r.arn.clone()?;
            let name = detail(r, "DBInstanceIdentifier")
                .or_else(|| arn_resource(r)?.strip_prefix("db:").map(str::to_string))?;
            Some(Built::new(arn, name))
        },
    },
    ResourceKind {
        asff: "AwsSecretsManagerSecret",
        ocsf: "AWS::SecretsManager::Secret",
        entity_type: "SecretsManager",
        build: |r, _| arn_named(r, "secret:"),
    },
    ResourceKind {
        asff: "AwsCertificateManagerCertificate",
        ocsf: "AWS::CertificateManager::Certificate",
        entity_type: "AcmCertificate",
        build: |r, _| {
            let built = arn_named(r, "certificate/")?;
            let arn = built.id.clone();
            Some(built.with("certificateArn", arn))
        },
    },
    ResourceKind {
        asff: "AwsElbLoadBalancer",
        ocsf: "AWS::ElasticLoadBalancing::LoadBalancer",
        entity_type: "ELB",
        // A classic load balancer is known by its name (its API takes no ARN).
        build: |r, _| {
            let name = arn_tail(r.arn.as_deref()?, "loadbalancer/")?;
            Some(Built::new(name.clone(), name))
        },
    },
    ResourceKind {
        asff: "AwsElbv2LoadBalancer",
        ocsf: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        entity_type: "ApplicationLoadBalancer",
        build: |r, _| {
            let arn = r.arn.clone()?;
            let name = arn_resource(r)?.split('/').nth(2)?.to_string();
            Some(Built::new(arn, name))
        },
    },
    ResourceKind {
        asff: "AwsNetworkFirewallFirewall",
        ocsf: "AWS::NetworkFirewall::Firewall",
        entity_type: "NetworkFirewall",
        build: |r, _| arn_named(r, "firewall/"),
    },
    ResourceKind {
        asff: "AwsEcrRepository",
        ocsf: "AWS::ECR::Repository",
        entity_type: "EcrRepository",
        build: |r, _| arn_named(r, "repository/"),
    },
    ResourceKind {
        asff: "AwsAccount",
        ocsf: "AWS::::Account",
        entity_type: "Account",
        build: |_, place| Some(Built::new(place.account, place.account)),
    },
];

/// The entity of a finding's resource in `account` and `region`, or why there is none.
pub fn entity_of(resource: &Resource, account: &str, region: &str) -> Result<Entity, String> {
    let kind = RESOURCE_KINDS
        .iter()
        .find(|k| k.asff == resource.kind || k.ocsf == resource.kind)
        .ok_or_else(|| {
            format!(
                "resource type '{}' is not supported by the Security Hub intake (supported: {})",
                crate::intake_event::excerpt(&resource.kind),
                RESOURCE_KINDS
                    .iter()
                    .map(|k| k.asff)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    let built = (kind.build)(resource, &Place { account, region }).ok_or_else(|| {
        format!(
            "the {} resource '{}' does not name its {}",
            resource.kind,
            crate::intake_event::excerpt(&resource.id),
            kind.entity_type
        )
    })?;
    let mut value = built.fields;
    value.insert("id".into(), json!(built.id));
    value.insert("name".into(), json!(built.name));
    value.insert("type".into(), json!(kind.entity_type));
    value.insert("region".into(), json!(region));
    if let Some(arn) = &resource.arn {
        value.entry("arn").or_insert_with(|| json!(arn));
    }
    Ok(Entity {
        id: built.id,
        name: built.name,
        value: Value::Object(value),
    })
}

/// A string of the resource's details (ASFF `Details.<Type>.<key>`, OCSF `data.<key>`).
fn detail(r: &Resource, key: &str) -> Option<String> {
    as_text(r.details.get(key)).filter(|v| !v.is_empty())
}

/// The resource part of the ARN (after the fifth `:`): `security-group/sg-1`, `bucket`.
fn arn_resource(r: &Resource) -> Option<&str> {
    r.arn
        .as_deref()?
        .splitn(6, ':')
        .nth(5)
        .filter(|p| !p.is_empty())
}

/// The last `/` segment of an ARN's resource part that starts with `prefix`.
fn arn_tail(arn: &str, prefix: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?.strip_prefix(prefix)?;
    resource.rsplit('/').next().map(str::to_string)
}

/// A native id (`sg-…`, `i-…`): from the ARN after `arn_prefix`, else the resource id when it
/// starts with `id_prefix` (OCSF `uid`, or a bare id).
fn native_id(r: &Resource, arn_prefix: &str, id_prefix: &str) -> Option<String> {
    arn_resource(r)
        .and_then(|p| p.strip_prefix(arn_prefix))
        .map(str::to_string)
        .or_else(|| {
            Some(r.id.clone()).filter(|id| !id.starts_with("arn:") && id.starts_with(id_prefix))
        })
        .filter(|id| !id.is_empty())
}

/// An IAM user, role or policy: known by its name (the last path segment) and ARN.
fn iam_principal(r: &Resource, prefix: &str, id_key: &str) -> Option<Built> {
    let arn = r.arn.clone()?;
    let name = arn_tail(&arn, prefix)?;
    let id = detail(r, id_key)
        .or_else(|| Some(r.id.clone()).filter(|id| !id.starts_with("arn:")))
        .unwrap_or_else(|| arn.clone());
    Some(Built::new(id, name).with("arn", arn))
}

/// A resource known by its ARN, named by the last segment after `prefix`.
fn arn_named(r: &Resource, prefix: &str) -> Option<Built> {
    let arn = r.arn.clone()?;
    let name = arn_tail(&arn, prefix)?;
    Some(Built::new(arn, name))
}
