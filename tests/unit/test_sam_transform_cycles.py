"""local/sam_transform.py's cycle finder, on hand-made transformed templates."""

from local.sam_transform import cycles, dependencies


def test_a_bucket_notifying_a_function_that_refers_to_it_is_a_cycle() -> None:
    # Given the resources SAM makes of an S3 event on a bucket the function's environment !Refs
    resources = {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "DependsOn": ["FnPermission"],
            "Properties": {"NotificationConfiguration": {"LambdaConfigurations": [{"Function": {"Fn::GetAtt": ["Fn", "Arn"]}}]}},
        },
        "FnPermission": {"Type": "AWS::Lambda::Permission", "Properties": {"FunctionName": {"Ref": "Fn"}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {"BUCKET": {"Ref": "Bucket"}}}}},
    }  # fmt: skip
    # When cycles are looked for, then the bucket -> function -> bucket loop is found
    found = cycles(resources)
    assert found and found[0][0] == found[0][-1]
    assert {"Bucket", "Fn"} <= set(found[0])


def test_a_named_bucket_and_sub_references_leave_no_cycle() -> None:
    # Given the same function told the bucket's name by a !Sub of pseudo parameters, and a policy that
    # refers to the bucket through ${Bucket.Arn}
    resources = {
        "Bucket": {"Type": "AWS::S3::Bucket", "DependsOn": "FnPermission", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-images"}}},
        "FnPermission": {"Type": "AWS::Lambda::Permission", "Properties": {"FunctionName": {"Ref": "Fn"}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {"BUCKET": {"Fn::Sub": "${AWS::StackName}-images"}}}}},
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Resource": {"Fn::Sub": "${Bucket.Arn}/*"}, "Role": {"Fn::GetAtt": "Fn.Arn"}}},
    }  # fmt: skip
    # Then there is no cycle, and the policy's dependencies are read from its Sub and GetAtt
    assert cycles(resources) == []
    assert dependencies(resources["Policy"], set(resources)) == {"Bucket", "Fn"}
