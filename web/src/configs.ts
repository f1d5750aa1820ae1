/** Ready-to-paste client configurations for a new key, filled in with the tenancy's endpoint. */
export interface KeyConfigInput {
  endpoint: string;
  tenancy: string;
  accessKeyId: string;
  secret: string;
}

export function clientConfigs(k: KeyConfigInput): Array<{ id: string; label: string; text: string }> {
  const url = new URL(k.endpoint);
  const https = url.protocol === 'https:';
  const hostPort = url.host;
  const alias = k.tenancy.replace(/[^A-Za-z0-9_-]/g, '-');
  return [
    {
      id: 's3cmd',
      label: 's3cmd (~/.s3cfg)',
      text: `[default]\naccess_key = ${k.accessKeyId}\nsecret_key = ${k.secret}\nhost_base = ${hostPort}\nhost_bucket = ${hostPort}\nuse_https = ${https ? 'True' : 'False'}\nsignature_v2 = False\n`,
    },
    {
      id: 'rclone',
      label: 'rclone (~/.config/rclone/rclone.conf)',
      text: `[${alias}]\ntype = s3\nprovider = Other\naccess_key_id = ${k.accessKeyId}\nsecret_access_key = ${k.secret}\nendpoint = ${k.endpoint}\nforce_path_style = true\nacl = private\n`,
    },
    {
      id: 'mc',
      label: 'MinIO client (mc)',
      text: `mc alias set ${alias} ${k.endpoint} ${k.accessKeyId} ${k.secret} --api S3v4 --path on\n`,
    },
    {
      id: 'aws',
      label: 'AWS CLI (~/.aws/credentials + --endpoint-url)',
      text: `[${alias}]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secret}\n\n# ~/.aws/config\n[profile ${alias}]\nregion = us-east-1\nendpoint_url = ${k.endpoint}\ns3 =\n  addressing_style = path\n\n# aws --profile ${alias} s3 ls\n`,
    },
    {
      id: 'python',
      label: 'Python (boto3 / s3fs)',
      text:
        `import boto3\ns3 = boto3.client("s3", endpoint_url="${k.endpoint}",\n    aws_access_key_id="${k.accessKeyId}", aws_secret_access_key="${k.secret}",\n    region_name="us-east-1")\n\n` +
        `import s3fs\nfs = s3fs.S3FileSystem(key="${k.accessKeyId}", secret="${k.secret}",\n    client_kwargs={"endpoint_url": "${k.endpoint}"})\n`,
    },
  ];
}
