"""A local stack: the resources of template.yaml created in moto, read from the template.

Nothing is declared twice: bucket, tables, queues, topic, notifications and policies are
created from the template's own properties, with intrinsic functions (Ref, Fn::Sub,
Fn::GetAtt, Fn::If...) resolved for the given stack name and parameters. Lambda functions are
not created in moto: ``FunctionSpec`` describes each one (code, handler, environment, event
sources) so that ``invoicing_tools.local_aws.runtime`` can run it in-process.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invoicing.domain.tokens import Key, Keyring
from invoicing_tools.local_aws.cfn_yaml import load_template
from invoicing_tools.local_aws.server import ACCOUNT_ID, REGION, client

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT / "template.yaml"
_NO_VALUE = object()
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class SqsSource:
    queue: str  # logical id
    queue_url: str
    queue_arn: str
    batch_size: int
    report_failures: bool


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    code_dir: Path
    module: str
    function: str
    timeout: int
    memory: int
    environment: dict[str, str]
    sqs_sources: tuple[SqsSource, ...] = ()
    schedules: tuple[dict[str, Any], ...] = ()
    has_url: bool = False


@dataclass
class LocalStack:
    """One client business's stack, deployed into the local AWS."""

    name: str
    parameters: dict[str, str]
    template_path: Path = TEMPLATE
    template: dict[str, Any] = field(init=False)
    physical: dict[str, dict[str, str]] = field(init=False, default_factory=dict)
    conditions: dict[str, bool] = field(init=False, default_factory=dict)
    functions: dict[str, FunctionSpec] = field(init=False, default_factory=dict)
    skipped: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.name != self.name.lower():
            raise TemplateError(f"stack names must be lowercase (the bucket is named after it): {self.name}")
        self.template = load_template(self.template_path)
        declared = self.template.get("Parameters", {})
        unknown = set(self.parameters) - set(declared)
        if unknown:
            raise TemplateError(f"parameters not declared by the template: {sorted(unknown)}")
        values = {}
        for key, spec in declared.items():
            if key in self.parameters:
                values[key] = str(self.parameters[key])
            elif "Default" in spec:
                values[key] = str(spec["Default"])
            else:
                raise TemplateError(f"parameter {key} has no default and no value")
            allowed = spec.get("AllowedValues")
            if allowed and values[key] not in [str(a) for a in allowed]:
                raise TemplateError(f"parameter {key}={values[key]!r} not in {allowed}")
            pattern = spec.get("AllowedPattern")
            if pattern and not re.fullmatch(pattern, values[key]):
                raise TemplateError(f"parameter {key}={values[key]!r} does not match {pattern}")
        self.values = values

    # --- intrinsic functions -----------------------------------------------------------------

    def _pseudo(self, name: str) -> Any:
        return {
            "AWS::StackName": self.name,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{self.name}/local",
        }.get(name)

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            value = self._pseudo(name)
            if value is None:
                raise TemplateError(f"unknown pseudo parameter {name}")
            return value
        if name in self.values:
            return self.values[name]
        if name in self.physical:
            return self.physical[name]["Ref"]
        raise TemplateError(f"cannot resolve Ref {name} (not a parameter, or not created yet)")

    def get_att(self, resource: str, attribute: str) -> str:
        try:
            return self.physical[resource][attribute]
        except KeyError:
            raise TemplateError(f"cannot resolve Fn::GetAtt {resource}.{attribute}") from None

    def _sub(self, text: str, extra: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match[1]
            if token in extra:
                return str(self.resolve(extra[token]))
            if "." in token and not token.startswith("AWS::"):
                resource, attribute = token.split(".", 1)
                return self.get_att(resource, attribute)
            return str(self.ref(token))

        return _SUB.sub(replace, text).replace("${!", "${")

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self.conditions[name]

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsic functions recursively; ``AWS::NoValue`` entries disappear."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                resource, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(resource, attribute)
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self._sub(arg[0], arg[1])
                return self._sub(arg, {})
            if key == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(i) for i in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported by the local stack")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    # --- deployment ------------------------------------------------------------------------------

    def _resources(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] != kind:
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            found.append((logical_id, resource))
        return found

    def deploy(self) -> LocalStack:
        """Create every resource the flow needs, in dependency order."""
        s3, ddb, sqs, sns = (client(s) for s in ("s3", "dynamodb", "sqs", "sns"))
        handled = {
            "AWS::SQS::Queue",
            "AWS::SNS::Topic",
            "AWS::DynamoDB::Table",
            "AWS::S3::Bucket",
            "AWS::SQS::QueuePolicy",
            "AWS::S3::BucketPolicy",
            "AWS::SNS::Subscription",
            "AWS::Serverless::Function",
            "AWS::Serverless::LayerVersion",
            "AWS::SES::ConfigurationSet",
            "AWS::IAM::Role",
        }
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] not in handled:
                self.skipped.append(f"{logical_id} ({resource['Type']})")

        # Queues first (without redrive: dead-letter queues must exist before it is set).
        queues = self._resources("AWS::SQS::Queue")
        for logical_id, resource in queues:
            props = resource.get("Properties", {})
            name = self.resolve(props.get("QueueName", f"{self.name}-{logical_id}"))
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
            self.physical[logical_id] = {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}
        self._configure_queues(sqs)

        for logical_id, resource in self._resources("AWS::SNS::Topic"):
            props = resource.get("Properties", {})
            name = self.resolve(props.get("TopicName", f"{self.name}-{logical_id}"))
            arn = sns.create_topic(Name=name)["TopicArn"]
            self.physical[logical_id] = {"Ref": arn, "TopicArn": arn, "TopicName": name}

        for logical_id, resource in self._resources("AWS::DynamoDB::Table"):
            self._create_table(ddb, logical_id, self.resolve(resource.get("Properties", {})))

        # Roles that AWS services assume (Textract publishing its completions): named, not
        # created: nothing here assumes them.
        for logical_id, _ in self._resources("AWS::IAM::Role"):
            name = f"{self.name}-{logical_id}"
            self.physical[logical_id] = {"Ref": name, "Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"}

        self._apply_queue_policies(sqs)

        for logical_id, resource in self._resources("AWS::S3::Bucket"):
            self._create_bucket(s3, logical_id, resource)

        for _, resource in self._resources("AWS::S3::BucketPolicy"):
            props = self.resolve(resource["Properties"])
            policy = dict(props["PolicyDocument"])
            # moto does not evaluate policy conditions: a conditional Deny (such as "deny when
            # aws:SecureTransport is false") would deny every request. Such statements are left
            # out locally; tests/template checks that the template declares them.
            policy["Statement"] = [
                st for st in policy["Statement"] if not (st.get("Effect") == "Deny" and st.get("Condition"))
            ]
            if policy["Statement"]:
                s3.put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(policy))

        ses = client("ses")
        for logical_id, resource in self._resources("AWS::SES::ConfigurationSet"):
            name = self.resolve(resource.get("Properties", {}).get("Name", f"{self.name}-{logical_id}"))
            existing = ses.list_configuration_sets().get("ConfigurationSets", [])
            if name not in {c["Name"] for c in existing}:
                ses.create_configuration_set(ConfigurationSet={"Name": name})
            self.physical[logical_id] = {"Ref": name}
        # In AWS the operator verifies the business's address (or domain) in SES once; locally
        # the stack does it, so that SES accepts mail from it as it will there.
        for address in self._sender_addresses():
            ses.verify_email_identity(EmailAddress=address)
        self._put_token_keys(client("ssm"))

        for logical_id, _ in self._resources("AWS::Serverless::LayerVersion"):
            self.physical[logical_id] = {"Ref": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{logical_id}:1"}
        # Function URLs first: other functions' environments may name them (payment links).
        for logical_id, resource in self._resources("AWS::Serverless::Function"):
            if "FunctionUrlConfig" in resource.get("Properties", {}):
                name = self.resolve(resource["Properties"].get("FunctionName", f"{self.name}-{logical_id}"))
                url = f"https://{name}.lambda-url.{REGION}.on.aws/"
                self.physical[f"{logical_id}Url"] = {"FunctionUrl": url}
        for logical_id, resource in self._resources("AWS::Serverless::Function"):
            self._describe_function(logical_id, resource)
        return self

    def token_keys_parameter(self) -> str:
        return f"/{self.name}/tokens/keys"

    def _put_token_keys(self, ssm: Any) -> None:
        """The keys that sign payment links and reply addresses. In AWS the operator creates
        this SecureString once (README); locally it is derived from the stack's name, so a reset
        stack signs as a fresh one does."""
        secret = hashlib.sha256(f"local-token-key:{self.name}".encode()).digest()
        value = Keyring(Key(1, secret)).serialize()
        ssm.put_parameter(Name=self.token_keys_parameter(), Value=value, Type="SecureString", Overwrite=True)

    def _sender_addresses(self) -> list[str]:
        values = [str(self.ref(name)) for name in ("BusinessEmail", "OperatorEmail", "OwnerEmail")]
        return [v for v in values if v]

    def _configure_queues(self, sqs: Any) -> None:
        """Set each queue's attributes (redrive included) from the template; also used by reset()."""
        for logical_id, resource in self._resources("AWS::SQS::Queue"):
            props = self.resolve(resource.get("Properties", {}))
            attributes = {}
            for key in (
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds",
            ):
                if key in props:
                    attributes[key] = str(props[key])
            if "RedrivePolicy" in props:
                attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
            if attributes:
                sqs.set_queue_attributes(
                    QueueUrl=self.physical[logical_id]["QueueUrl"], Attributes=attributes
                )

    def _apply_queue_policies(self, sqs: Any) -> None:
        """The AWS::SQS::QueuePolicy resources. moto drops a queue's policy whenever its other
        attributes are set, so reset() applies them again after ``_configure_queues``."""
        for _, resource in self._resources("AWS::SQS::QueuePolicy"):
            props = self.resolve(resource["Properties"])
            for url in props["Queues"]:
                sqs.set_queue_attributes(
                    QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
                )

    def _configure_notifications(self, s3: Any, logical_id: str, resource: dict[str, Any]) -> None:
        """The bucket's S3 -> SQS notifications. Like S3, moto then posts an ``s3:TestEvent`` to
        each target queue: a freshly deployed stack starts with one in each (reset() relies on it)."""
        props = self.resolve(resource.get("Properties", {}))
        queue_configs = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if not queue_configs:
            return
        s3.put_bucket_notification_configuration(
            Bucket=self.physical[logical_id]["Ref"],
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": config["Queue"],
                        "Events": [config["Event"]],
                        "Filter": {
                            "Key": {
                                "FilterRules": [
                                    {"Name": rule["Name"], "Value": rule["Value"]}
                                    for rule in config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
                                ]
                            }
                        },
                    }
                    for config in queue_configs
                ]
            },
        )

    def _create_table(self, ddb: Any, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("TableName", f"{self.name}-{logical_id}")
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if request["BillingMode"] == "PROVISIONED":
            request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = [
                {
                    k: v
                    for k, v in index.items()
                    if k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
                }
                for index in props["GlobalSecondaryIndexes"]
            ]
        arn = ddb.create_table(**request)["TableDescription"]["TableArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        self.physical[logical_id] = {"Ref": name, "Arn": arn}

    def _create_bucket(self, s3: Any, logical_id: str, resource: dict[str, Any]) -> None:
        props = resource.get("Properties", {})
        name = self.resolve(props.get("BucketName", f"{self.name}-{logical_id.lower()}"))
        locked = self.resolve(props.get("ObjectLockEnabled", False)) in (True, "true", "True")
        s3.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": REGION},
            **({"ObjectLockEnabledForBucket": True} if locked else {}),
        )
        self.physical[logical_id] = {
            "Ref": name,
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
        }
        props = self.resolve(props)
        if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        encryption = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
        if encryption:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                    **({"BucketKeyEnabled": rule["BucketKeyEnabled"]} if "BucketKeyEnabled" in rule else {}),
                }
                for rule in encryption
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        lifecycle = props.get("LifecycleConfiguration", {}).get("Rules")
        if lifecycle:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in lifecycle]}
            )
        self._configure_notifications(s3, logical_id, resource)

    def _describe_function(self, logical_id: str, resource: dict[str, Any]) -> None:
        globals_ = self.template.get("Globals", {}).get("Function", {})
        props = resource.get("Properties", {})
        name = self.resolve(props.get("FunctionName", f"{self.name}-{logical_id}"))
        self.physical[logical_id] = {
            "Ref": name,
            "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
        }
        environment = {}
        for source in (globals_, props):
            variables = source.get("Environment", {}).get("Variables", {})
            environment.update({k: str(v) for k, v in self.resolve(variables).items()})
        module, function = props.get("Handler", globals_.get("Handler", "")).rsplit(".", 1)
        sqs_sources, schedules = [], []
        for event in props.get("Events", {}).values():
            if event["Type"] == "SQS":
                event_props = self.resolve(event["Properties"])
                queue_arn = event_props["Queue"]
                queue = next(k for k, v in self.physical.items() if v.get("Arn") == queue_arn)
                sqs_sources.append(
                    SqsSource(
                        queue=queue,
                        queue_url=self.physical[queue]["QueueUrl"],
                        queue_arn=queue_arn,
                        batch_size=int(event_props.get("BatchSize", 10)),
                        report_failures="ReportBatchItemFailures"
                        in event_props.get("FunctionResponseTypes", []),
                    )
                )
            elif event["Type"] == "SNS":
                continue  # delivered by tests and the demo with LocalRuntime.invoke
            elif event["Type"] in ("ScheduleV2", "Schedule"):
                schedules.append(self.resolve(event["Properties"]))
        self.functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            code_dir=(self.template_path.parent / props["CodeUri"]).resolve(),
            module=module,
            function=function,
            timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
            memory=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
            environment=environment,
            sqs_sources=tuple(sqs_sources),
            schedules=tuple(schedules),
            has_url="FunctionUrlConfig" in props,
        )

    # --- what operators and the demo look up ------------------------------------------------------

    def parameter_environment(self) -> dict[str, str]:
        """The functions' common environment variables that depend on parameters only (the
        business settings), resolved as the template maps them; no deployment needed."""
        variables = (
            self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        )
        resolved = {}
        for name, value in variables.items():
            try:
                resolved[name] = str(self.resolve(value))
            except TemplateError:  # refers to a resource (table, bucket...): not needed here
                continue
        return resolved

    def resource(self, logical_id: str, attribute: str = "Ref") -> str:
        return self.physical[logical_id][attribute]

    # --- reuse: back to the state deploy() left ----------------------------------------------------

    def reset(self) -> LocalStack:
        """Empty the deployed stack so that it is indistinguishable from a freshly deployed one.

        Every object version, delete marker and unfinished upload of the buckets; every item of
        the tables; every message of the queues (dead-letter queues included, in flight or not);
        the SNS subscriptions of its topics, the queues named after the stack that are not its
        own, and the SSM parameters under ``/<stack>/`` (deploy() makes none of these). Queue
        attributes and policies and bucket notifications are set again from the template, which
        also posts the ``s3:TestEvent`` a fresh stack starts with. Configuration a test changed
        elsewhere (a bucket policy, a table's schema) is not restored: such a test wants a stack
        of its own. ``state()`` describes what reset() covers; tests compare it with a fresh one.
        """
        s3, ddb, sqs, sns, ssm = (client(s) for s in ("s3", "dynamodb", "sqs", "sns", "ssm"))
        for logical_id, _ in self._resources("AWS::S3::Bucket"):
            _empty_bucket(s3, self.physical[logical_id]["Ref"])
        for logical_id, resource in self._resources("AWS::DynamoDB::Table"):
            keys = [k["AttributeName"] for k in self.resolve(resource["Properties"])["KeySchema"]]
            _empty_table(ddb, self.physical[logical_id]["Ref"], keys)
        # deploy() subscribes nothing and stores no parameter: whatever is there, a test added.
        for topic in self._topic_arns():
            for subscription in _subscriptions(sns, topic):
                sns.unsubscribe(SubscriptionArn=subscription)
        for url in set(self._stack_named_queues(sqs)) - set(self._queue_urls()):
            sqs.delete_queue(QueueUrl=url)
        for url in self._queue_urls():
            sqs.purge_queue(QueueUrl=url)  # LocalAws lifts moto's one-purge-per-60-s rule
        extra = _parameter_names(ssm, self.name)
        for start in range(0, len(extra), 10):
            ssm.delete_parameters(Names=extra[start : start + 10])
        self._put_token_keys(ssm)
        self._configure_queues(sqs)
        self._apply_queue_policies(sqs)
        for logical_id, resource in self._resources("AWS::S3::Bucket"):
            self._configure_notifications(s3, logical_id, resource)
        return self

    def state(self) -> dict[str, Any]:
        """What the stack holds, with its name taken out so that two stacks can be compared:
        items per table (and key schema, indexes), object versions, delete markers and uploads
        per bucket, messages per queue (visible, in flight, delayed, and the kinds of the visible
        ones), queue attributes, subscriptions, queues named after the stack, SSM parameters."""
        s3, ddb, sqs, sns, ssm = (client(s) for s in ("s3", "dynamodb", "sqs", "sns", "ssm"))

        def anonymous(value: Any) -> Any:
            return json.loads(json.dumps(value, default=str).replace(self.name, "<stack>"))

        state: dict[str, Any] = {"tables": {}, "buckets": {}, "queues": {}}
        for logical_id, _ in self._resources("AWS::DynamoDB::Table"):
            name = self.physical[logical_id]["Ref"]
            table = ddb.describe_table(TableName=name)["Table"]
            items = ddb.scan(TableName=name, Select="COUNT", ConsistentRead=True)["Count"]
            state["tables"][logical_id] = {
                "items": items,
                "keys": table["KeySchema"],
                "indexes": sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])),
            }
        for logical_id, _ in self._resources("AWS::S3::Bucket"):
            name = self.physical[logical_id]["Ref"]
            listing = s3.list_object_versions(Bucket=name)
            state["buckets"][logical_id] = {
                "versions": [(v["Key"], v["IsLatest"]) for v in listing.get("Versions", [])],
                "delete_markers": [m["Key"] for m in listing.get("DeleteMarkers", [])],
                "uploads": [u["Key"] for u in s3.list_multipart_uploads(Bucket=name).get("Uploads", [])],
                "notifications": [
                    {k: v for k, v in config.items() if k != "Id"}  # a random id per configuration
                    for config in s3.get_bucket_notification_configuration(Bucket=name).get(
                        "QueueConfigurations", []
                    )
                ],
                "versioning": s3.get_bucket_versioning(Bucket=name).get("Status"),
            }
        for logical_id, _ in self._resources("AWS::SQS::Queue"):
            url = self.physical[logical_id]["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            counts = {k: attributes.pop(k) for k in list(attributes) if k.startswith("ApproximateNumberOf")}
            for moving in ("CreatedTimestamp", "LastModifiedTimestamp"):
                attributes.pop(moving, None)
            # Peek: a zero visibility timeout leaves the messages visible (the receive still counts
            # towards maxReceiveCount: describe a stack a few times at most).
            peeked = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
            ).get("Messages", [])
            kinds = sorted(_message_kind(m["Body"]) for m in peeked)
            state["queues"][logical_id] = {"counts": counts, "kinds": kinds, "attributes": attributes}
        state["subscriptions"] = sorted(s for topic in self._topic_arns() for s in _subscriptions(sns, topic))
        state["stack_named_queues"] = sorted(self._stack_named_queues(sqs))
        state["parameters"] = sorted(_parameter_names(ssm, self.name))
        return anonymous(state)

    def _topic_arns(self) -> list[str]:
        return [self.physical[logical_id]["TopicArn"] for logical_id, _ in self._resources("AWS::SNS::Topic")]

    def _queue_urls(self) -> list[str]:
        return [self.physical[logical_id]["QueueUrl"] for logical_id, _ in self._resources("AWS::SQS::Queue")]

    def _stack_named_queues(self, sqs: Any) -> list[str]:
        """Queues whose name starts with ``<stack>-``: the stack's own and any a test made."""
        urls = sqs.list_queues(QueueNamePrefix=f"{self.name}-").get("QueueUrls", [])
        return [u for u in urls if u.rsplit("/", 1)[-1].startswith(f"{self.name}-")]


class StackPool:
    """Deployed stacks kept for reuse: one per distinct parameter set, reset before each reuse.

    Deploying takes ~0.5 s of requests; a reset a fraction of that, and the handler caches of a
    ``LocalRuntime`` start cold anyway. Not thread-safe: one user of a stack at a time. The
    stack's description (physical ids, function specs and their environments) is shared by its
    users too: a user that changed it in place makes the next acquire() fail, naming it.
    """

    def __init__(self, prefix: str = "pool") -> None:
        self.prefix = prefix
        self._stacks: dict[tuple[tuple[str, str], ...], LocalStack] = {}
        self._described: dict[tuple[tuple[str, str], ...], Any] = {}
        self.deployed = 0
        self.reused = 0

    def acquire(self, parameters: dict[str, str]) -> LocalStack:
        key = tuple(sorted((k, str(v)) for k, v in parameters.items()))
        stack = self._stacks.get(key)
        if stack is None:
            stack = LocalStack(f"{self.prefix}{len(self._stacks) + 1}-stack", dict(parameters)).deploy()
            self._stacks[key] = stack
            self._described[key] = copy.deepcopy((stack.physical, stack.functions))
            self.deployed += 1
        else:
            if (stack.physical, stack.functions) != self._described[key]:
                raise RuntimeError(
                    f"{stack.name}: its last user changed the stack's physical ids or function specs "
                    "in place; copy them instead (the stack is reused by the next test)"
                )
            stack.reset()
            self.reused += 1
        return stack


def _empty_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            # Invoices are locked in governance mode: the test reset may override that.
            answer = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": doomed, "Quiet": True}, BypassGovernanceRetention=True
            )
            if answer.get("Errors"):  # a legal hold, say: the stack would not be as fresh
                raise RuntimeError(f"could not empty {bucket}: {answer['Errors'][:3]}")
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])


def _empty_table(ddb: Any, table: str, keys: list[str]) -> None:
    names = {f"#k{i}": key for i, key in enumerate(keys)}
    doomed = [
        item
        for page in ddb.get_paginator("scan").paginate(
            TableName=table,
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
            ConsistentRead=True,
        )
        for item in page.get("Items", [])
    ]
    for start in range(0, len(doomed), 25):
        requests = [{"DeleteRequest": {"Key": key}} for key in doomed[start : start + 25]]
        while requests:
            unprocessed = ddb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
            requests = unprocessed.get(table, [])


def _subscriptions(sns: Any, topic_arn: str) -> list[str]:
    return [
        s["SubscriptionArn"]
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
        for s in page.get("Subscriptions", [])
    ]


def _parameter_names(ssm: Any, stack_name: str) -> list[str]:
    return [
        p["Name"]
        for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=f"/{stack_name}", Recursive=True
        )
        for p in page.get("Parameters", [])
    ]


def _message_kind(body: str) -> str:
    try:
        decoded = json.loads(body)
    except ValueError:
        return "text"
    if isinstance(decoded, dict) and "Event" in decoded:
        return str(decoded["Event"])
    return "message"


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation lifecycle rule properties -> the S3 API's shape."""
    out: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule.get("Status", "Enabled")}
    out["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "Transitions" in rule:
        out["Transitions"] = [
            {"Days": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]}
            for t in rule["Transitions"]
        ]
    if "NoncurrentVersionExpiration" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    return out
