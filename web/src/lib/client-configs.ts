/**
 * Ready-to-paste client configurations for a new key, for the internal endpoint (plain HTTP, inside the
 * facility) and the external one (HTTPS, from anywhere; with the CA line when the site's certificate is
 * from a private CA). Each is a set of files to write and a command to try, shown as such in the portal
 * (and tested that way: test/e2e). The shapes follow docs/clients/.
 */
export interface KeyConfigInput {
  internal: string;
  external: string;
  tenancy: string;
  accessKeyId: string;
  secret: string;
  /** Where users download the private CA, when the site has one. */
  caUrl?: string;
}

export interface ClientConfig {
  id: string;
  label: string;
  /** Files to write: path (with ~ for the home folder) and content. */
  files: Array<{ path: string; text: string }>;
  /** A command that uses them. */
  command: string;
  /** Plain words about it. */
  note?: string;
}

const CA_FILE = '~/granary-ca.pem';

export function clientConfigs(k: KeyConfigInput, which: 'internal' | 'external'): ClientConfig[] {
  const endpoint = which === 'internal' ? k.internal : k.external;
  const url = new URL(endpoint);
  const https = url.protocol === 'https:';
  const ca = https && k.caUrl !== undefined;
  const hostPort = url.host;
  const alias = `${k.tenancy.replace(/[^A-Za-z0-9_-]/g, '-')}${which === 'external' ? '-ext' : ''}`;
  const caNote = ca ? `This site's certificate is from its own CA: save it as ${CA_FILE} first (${k.caUrl}).` : undefined;
  return [
    {
      id: 's3cmd',
      label: 's3cmd',
      files: [{ path: `~/.s3cfg-${alias}`, text: `[default]\naccess_key = ${k.accessKeyId}\nsecret_key = ${k.secret}\nhost_base = ${hostPort}\nhost_bucket = ${hostPort}\nuse_https = ${https ? 'True' : 'False'}\nsignature_v2 = False\n` }],
      // s3cmd does not expand ~ in ca_certs_file, and the portal cannot know the user's home folder: the CA
      // goes on the command line, where the shell expands it.
      command: `s3cmd -c ~/.s3cfg-${alias}${ca ? ` --ca-certs ${CA_FILE}` : ''} ls`,
      ...(caNote ? { note: `${caNote} Give --ca-certs ${CA_FILE} on each command, or write its full path (not ~) as ca_certs_file in the file.` } : {}),
    },
    {
      id: 'rclone',
      label: 'rclone',
      files: [{ path: '~/.config/rclone/rclone.conf', text: `[${alias}]\ntype = s3\nprovider = Other\naccess_key_id = ${k.accessKeyId}\nsecret_access_key = ${k.secret}\nendpoint = ${endpoint}\nforce_path_style = true\nacl = private\n` }],
      command: `rclone ${ca ? `--ca-cert ${CA_FILE} ` : ''}lsd ${alias}:`,
      ...(caNote ? { note: caNote } : {}),
    },
    {
      id: 'aws',
      label: 'AWS CLI (v1 and v2)',
      files: [
        { path: '~/.aws/credentials', text: `[${alias}]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secret}\n` },
        { path: '~/.aws/config', text: `[profile ${alias}]\nregion = us-east-1\ns3 =\n    addressing_style = path\n` },
      ],
      command: `aws --profile ${alias} --endpoint-url ${endpoint}${ca ? ` --ca-bundle ${CA_FILE}` : ''} s3 ls`,
      note: 'Give --endpoint-url on each command: an endpoint_url in ~/.aws/config is ignored by AWS CLI v2 before 2.13 (Debian 12 ships 2.9) and by v1 before 1.29.' + (caNote ? ' ' + caNote : ''),
    },
    {
      id: 'mc',
      label: 'MinIO client (mc)',
      files: [],
      command: `mc alias set ${alias} ${endpoint} ${k.accessKeyId} ${k.secret} --api S3v4 --path on`,
      ...(ca ? { note: `Copy the CA into ~/.mc/certs/CAs/ first (${k.caUrl}).` } : {}),
    },
    {
      id: 'credentials-json',
      label: 'Credentials file for s3fs / xarray (JSON)',
      files: [{ path: `~/.${alias}-credentials.json`, text: JSON.stringify({ token: k.accessKeyId, secret: k.secret, endpoint_url: endpoint }, null, 2) + '\n' }],
      command: `chmod 600 ~/.${alias}-credentials.json`,
      note: 'The shape the facility guide uses: "token" is the access key id. Keep the file private.',
    },
    {
      id: 'python',
      label: 'Python: s3fs and xarray (Zarr)',
      files: [],
      command:
        `import json, os, s3fs, xarray\n` +
        `creds = json.load(open(os.path.expanduser("~/.${alias}-credentials.json")))\n` +
        `fs = s3fs.S3FileSystem(anon=False, key=creds["token"], secret=creds["secret"],\n` +
        `    client_kwargs={"endpoint_url": creds["endpoint_url"]${ca ? `, "verify": os.path.expanduser("${CA_FILE}")` : ''}})\n` +
        `print(fs.ls("BUCKET"))\n` +
        `ds = xarray.open_zarr(s3fs.S3Map("BUCKET/path/data.zarr", s3=fs))\n`,
      note: 'Reads the credentials file above; BUCKET and the path are yours to fill in.',
    },
    {
      id: 'boto3',
      label: 'Python: boto3',
      files: [],
      command: `import boto3\ns3 = boto3.client("s3", endpoint_url="${endpoint}",\n    aws_access_key_id="${k.accessKeyId}", aws_secret_access_key="${k.secret}",\n    region_name="us-east-1"${ca ? `, verify="${CA_FILE.replace('~', '/home/YOU')}"` : ''})\nprint(s3.list_buckets()["Buckets"])\n`,
    },
  ];
}
