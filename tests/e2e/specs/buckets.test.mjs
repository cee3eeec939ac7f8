// Buckets against the real binary: create a bucket, drop a folder on the browser
// (a DataTransfer whose entries are a folder tree, as Chromium hands a dropped folder
// to the page) and watch each file's progress bar, browse into the folder through
// its breadcrumbs, download a file and compare its bytes, delete with multi-select;
// create an S3 access key and see its secret once; a presigned URL downloads the file
// from the S3 endpoint without a session.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { screenshot } from '../lib/browser.mjs';
import { signIn, useServerAndBrowser } from '../lib/session.mjs';

const env = useServerAndBrowser();
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

/** Drops a folder `trip/` (a.txt, photos/b.bin) on the drop zone, as a browser does. */
async function dropFolder(page, bBytes) {
  await page.getByTestId('drop-zone').evaluate((zone, bytes) => {
    const fileEntry = (path, content) => {
      const name = path.split('/').pop();
      const file = new File([content], name, { type: name.endsWith('.txt') ? 'text/plain' : 'application/octet-stream' });
      return { isFile: true, isDirectory: false, name, fullPath: `/${path}`, file: (ok) => ok(file) };
    };
    const dirEntry = (path, children) => {
      let read = false;
      return {
        isFile: false,
        isDirectory: true,
        name: path.split('/').pop(),
        fullPath: `/${path}`,
        // Like Chromium: the entries in a batch, then an empty batch.
        createReader: () => ({ readEntries: (ok) => ok(read ? [] : ((read = true), children)) }),
      };
    };
    const tree = dirEntry('trip', [
      fileEntry('trip/a.txt', 'alpha\n'),
      dirEntry('trip/photos', [fileEntry('trip/photos/b.bin', new Uint8Array(bytes))]),
    ]);
    const dataTransfer = {
      types: ['Files'],
      files: [],
      items: [{ kind: 'file', webkitGetAsEntry: () => tree, getAsFile: () => null }],
    };
    for (const type of ['dragover', 'drop']) {
      const event = new DragEvent(type, { bubbles: true, cancelable: true });
      Object.defineProperty(event, 'dataTransfer', { value: dataTransfer });
      zone.dispatchEvent(event);
    }
  }, Array.from(bBytes));
}

describe('buckets', () => {
  test('creates a bucket, uploads a dropped folder, browses it, downloads, deletes; access keys and a presigned URL', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await signIn(page, env.server);
    await nav(page, 'Buckets');
    await page.getByRole('heading', { name: 'Buckets', level: 1 }).waitFor();
    await page.getByText('No buckets yet').waitFor();
    await page.getByLabel('New bucket').fill('e2e-bucket');
    await page.getByRole('button', { name: 'Create bucket' }).click();
    await page.getByRole('table', { name: 'Buckets' }).getByRole('link', { name: 'e2e-bucket' }).click();
    await page.getByText('This bucket is empty').waitFor();

    const bBytes = Buffer.alloc(300_000);
    for (let i = 0; i < bBytes.length; i += 1) bBytes[i] = (i * 31) % 256;
    await dropFolder(page, bBytes);
    const uploads = page.getByRole('list', { name: 'Uploads' });
    for (const key of ['trip/a.txt', 'trip/photos/b.bin']) {
      await uploads.locator('li[data-state="done"]', { hasText: key }).waitFor();
      const bar = page.getByRole('progressbar', { name: `Uploading ${key}` });
      assert.equal(await bar.getAttribute('value'), await bar.getAttribute('max'), `${key} is complete`);
    }
    await screenshot(page, 'buckets-uploaded');

    // Browse into the folder; the breadcrumbs lead back.
    const objects = page.getByRole('table', { name: 'Objects' });
    await objects.getByRole('link', { name: /trip\// }).click();
    await objects.getByRole('link', { name: /photos\// }).click();
    const crumbs = page.getByRole('navigation', { name: 'Location' });
    assert.deepEqual(await crumbs.getByRole('link').allTextContents(), ['Buckets', 'e2e-bucket', 'trip', 'photos']);
    assert.match(page.url(), /\/buckets\/e2e-bucket\?prefix=trip%2Fphotos%2F$/);

    // Download: the same bytes.
    const downloading = page.waitForEvent('download');
    await objects.getByRole('link', { name: 'Download b.bin' }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), 'b.bin');
    assert.deepEqual(await readFile(await download.path()), bBytes);

    // The metadata panel; no access key yet, so no presigned URL.
    await objects.getByRole('button', { name: 'b.bin' }).click();
    const panel = page.getByRole('complementary', { name: 'Object details' });
    await panel.getByText('300000 bytes').waitFor();
    await panel.getByRole('button', { name: 'Copy presigned URL' }).click();
    await panel.getByRole('alert').getByText(/no enabled S3 access key/).waitFor();

    // An access key: its secret once.
    await nav(page, 'S3 access keys');
    await page.getByRole('heading', { name: 'S3 access keys', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Create access key' }).click();
    const secret = await page.getByTestId('one-time-secret').textContent();
    assert.match(secret, /^[A-Za-z0-9]{40}$/);
    const accessKeyId = await page.getByTestId('new-access-key-id').textContent();
    await page.getByRole('table', { name: 'Access keys' }).getByText(accessKeyId).waitFor();
    await screenshot(page, 's3-access-key-created');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await page.getByRole('table', { name: 'Access keys' }).getByText(accessKeyId).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');

    // Now a presigned URL, which anyone can use without a session.
    await page.goto(`${env.server.url}/buckets/e2e-bucket?prefix=trip%2Fphotos%2F`);
    await objects.getByRole('button', { name: 'b.bin' }).click();
    await panel.getByLabel('Presigned URL valid for').selectOption({ label: '1 day' });
    await panel.getByRole('button', { name: 'Copy presigned URL' }).click();
    const url = await panel.getByLabel('Presigned URL', { exact: true }).inputValue();
    assert.match(url, /X-Amz-Expires=86400/);
    const fetched = await fetch(url);
    assert.equal(fetched.status, 200);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), bBytes);
    await screenshot(page, 'buckets-presigned');

    // Multi-select delete in trip/, then the bucket empties and goes.
    await page.getByRole('navigation', { name: 'Location' }).getByRole('link', { name: 'trip' }).click();
    await objects.getByRole('checkbox', { name: 'Select a.txt' }).check();
    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await objects.getByRole('button', { name: 'a.txt' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'photos/' }).click();
    await objects.getByRole('checkbox', { name: 'Select b.bin' }).check();
    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('This folder is empty').waitFor();
    await nav(page, 'Buckets');
    await page.getByRole('button', { name: 'Delete e2e-bucket' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox').fill('e2e-bucket');
    await dialog.getByRole('button', { name: 'Delete bucket' }).click();
    await page.getByText('No buckets yet').waitFor();
    await page.close();
  });
});
