/**
 * The ready-made client configurations the portal shows with a new key (web/src/lib/client-configs.ts), run
 * as a user would run them: each file written where it says (in a scratch home folder), the private CA saved
 * as the note says, then the command it gives, through a shell, with the real program. Internal (HTTP) and
 * external (HTTPS with the site's own CA) endpoints alike; the AWS CLI snippet with v1 and with Debian's v2.
 *
 * Not run here, for want of the program: the MinIO client `mc` (not packaged by Debian) and the s3fs/xarray
 * Python snippet (the s3fs module is neither packaged by Debian 12 nor on the package mirror); the
 * credentials-JSON file it reads is checked by the boto3 step, which reads it the same way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { run } from '../helpers/clients.js';
import { have, httpsUnavailable } from '../helpers/compat.js';
import { startHttps, type HttpsEnv } from './https.js';
import { clientConfigs, type ClientConfig } from '../../web/src/lib/client-configs.js';

const skip = httpsUnavailable() ?? false;
const AWS_V2 = '/usr/bin/aws';

/** A user's home folder with a configuration's files in it (and the site's CA, where the note asks for it). */
function homeWith(cfg: ClientConfig, ca?: string): string {
  const home = mkdtempSync(join(tmpdir(), `granary-home-${cfg.id}-`));
  for (const f of cfg.files) {
    const path = f.path.replace(/^~(?=\/)/, home);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.text, { mode: 0o600 });
  }
  if (ca) copyFileSync(ca, join(home, 'granary-ca.pem'));
  return home;
}

/** The command as the portal shows it, in a shell, as that user (no test environment leaking in). */
function shell(command: string, home: string, extra: Record<string, string> = {}): string {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', ...extra };
  return run('bash', ['-c', command], { env, timeoutMs: 120_000 }).stdout;
}

describe('the portal\'s client configurations, run with the real clients', { skip }, () => {
  let h: HttpsEnv;
  const bucket = 'portal-configs';
  const homes: string[] = [];
  before(async () => {
    h = await startHttps('portal-configs');
    await h.env.sdk.send(new CreateBucketCommand({ Bucket: bucket }));
    await h.env.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hello from the portal test\n' }));
  });
  after(async () => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
    await h?.stop();
  });

  const input = () => ({
    internal: `http://${h.env.ep}`,
    external: h.url,
    tenancy: h.env.tenancy,
    accessKeyId: h.env.ak,
    secret: h.env.sk,
    caUrl: 'https://portal.example.org/_admin/api/v1/ca.pem',
  });
  const config = (which: 'internal' | 'external', id: string): { cfg: ClientConfig; home: string } => {
    const cfg = clientConfigs(input(), which).find((c) => c.id === id);
    assert.ok(cfg, `no ${id} configuration`);
    if (which === 'external' && id !== 'credentials-json') assert.match(`${cfg.note ?? ''} ${cfg.command}`, /granary-ca\.pem/, 'the external configuration names the CA file');
    const home = homeWith(cfg, which === 'external' ? h.ca : undefined);
    homes.push(home);
    return { cfg, home };
  };

  for (const which of ['internal', 'external'] as const) {
    test(`s3cmd (${which})`, { skip: !have('s3cmd') && 's3cmd is not installed' }, () => {
      const { cfg, home } = config(which, 's3cmd');
      assert.match(shell(cfg.command, home), new RegExp(`s3://${bucket}`));
      // The same file moves data both ways.
      assert.equal(shell(cfg.command.replace(/ ls$/, ` get s3://${bucket}/hello.txt -`), home), 'hello from the portal test\n');
    });

    test(`rclone (${which})`, { skip: !have('rclone') && 'rclone is not installed' }, () => {
      const { cfg, home } = config(which, 'rclone');
      assert.match(shell(cfg.command, home), new RegExp(`\\s${bucket}\\s*$`, 'm'));
      const remote = cfg.command.match(/(\S+):$/)![1];
      const ca = which === 'external' ? '--ca-cert ~/granary-ca.pem ' : '';
      assert.equal(shell(`rclone ${ca}cat ${remote}:${bucket}/hello.txt`, home), 'hello from the portal test\n');
    });

    for (const [name, bin] of [['v1', 'aws'], ['v2', AWS_V2]] as const) {
      test(`AWS CLI ${name} (${which})`, { skip: !have(bin) && `${bin} is not installed` }, () => {
        const { cfg, home } = config(which, 'aws');
        const command = cfg.command.replace(/^aws /, `${bin} `);
        assert.match(shell(command, home), new RegExp(`\\s${bucket}$`, 'm'));
      });
    }

    test(`boto3 snippet and the credentials-JSON file (${which})`, () => {
      const { cfg, home } = config(which, 'boto3');
      // The snippet's CA path is written for a user's home: point it at this one, as the user would.
      const code = cfg.command.replace('/home/YOU', home);
      assert.match(shell(`python3 -c '${code.replace(/'/g, `'\\''`)}'`, home), new RegExp(`'Name': '${bucket}'`));
      const json = config(which, 'credentials-json');
      const file = json.cfg.files[0].path.replace(/^~/, json.home);
      const creds = JSON.parse(readFileSync(file, 'utf8')) as { token: string; secret: string; endpoint_url: string };
      const verify = which === 'external' ? `, verify=${JSON.stringify(join(json.home, 'granary-ca.pem'))}` : '';
      const py = `import boto3, json\nc = json.load(open(${JSON.stringify(file)}))\ns3 = boto3.client("s3", endpoint_url=c["endpoint_url"], aws_access_key_id=c["token"], aws_secret_access_key=c["secret"], region_name="us-east-1"${verify})\nprint(s3.get_object(Bucket="${bucket}", Key="hello.txt")["Body"].read().decode(), end="")\n`;
      assert.equal(creds.endpoint_url, which === 'external' ? h.url : `http://${h.env.ep}`);
      assert.equal(shell(`python3 -c '${py.replace(/'/g, `'\\''`)}'`, json.home), 'hello from the portal test\n');
    });
  }
});
