// Uploads one file to a vidpush server with the real tus-js-client, cuts it off about halfway,
// and resumes it to completion. Driven by crates/server/tests/tus_js_client.rs, which asserts
// on the JSON lines this prints on stdout (one object per line, each with an "event" field).
//
// Usage: node upload.mjs <abort|kill> <endpoint> <file>
//
// In both modes the body of the PATCH that crosses the half hands over part of its bytes and
// then stalls ("stalled" line), so the cut always lands mid-PATCH.
// abort: the client then aborts itself (`upload.abort()`, which destroys the socket); a new
//        Upload finds the unfinished one in a FileUrlStorage, as a page reload would, and
//        resumes it.
// kill:  the test kills the server with SIGKILL when it reads the "stalled" line and restarts it
//        on the same address; the client's own retry logic asks for the offset and resumes.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { FileUrlStorage, Upload } from 'tus-js-client';

/** Small chunks so that most of the file is confirmed, chunk by chunk, before the cut. */
const CHUNK_BYTES = 1024 * 1024;

/** Longest the stalled PATCH waits to be cut before the run gives up. */
const STALL_LIMIT_MS = 60_000;

/** Retries after a dropped connection: long enough for a server restart, and bounded. */
const RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000, 8000];

const [mode, endpoint, file] = process.argv.slice(2);
if (!['abort', 'kill'].includes(mode) || !endpoint || !file) {
  console.error('usage: node upload.mjs <abort|kill> <endpoint> <file>');
  process.exit(2);
}

/** Prints one JSON line for the Rust test. */
function report(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

/** Ends the run with a reason the Rust test shows. */
function fail(message) {
  report('error', { message: String(message) });
  process.exit(1);
}

/** Reports every PATCH with the offset it starts at, so the test sees where uploads resumed. */
function reportPatches(req) {
  if (req.getMethod() === 'PATCH') {
    report('patch', { offset: Number(req.getHeader('Upload-Offset')) });
  }
}

/** Starts `upload` and resolves when it succeeds. */
function run(upload) {
  return new Promise((resolve, reject) => {
    upload.options.onSuccess = resolve;
    upload.options.onError = reject;
    upload.start();
  });
}

/**
 * A file source (tus-js-client's `fileReader` option) over a Buffer. The chunk that crosses the
 * half hands over its first half and then stalls, once, until the request is cut;
 * `onStall(confirmed, sent)` runs once the request has taken those bytes.
 */
function stallingReader(onStall) {
  let stalled = false;
  return {
    openFile(buffer) {
      return Promise.resolve({
        size: buffer.length,
        slice(start, end) {
          const done = end >= buffer.length;
          const chunk = buffer.subarray(start, end);
          chunk.size = chunk.length; // tus-js-client counts the bytes a source gave by this
          if (stalled || end <= buffer.length / 2) {
            return Promise.resolve({ value: chunk, done });
          }
          stalled = true;
          const sent = Math.floor(chunk.length / 2);
          let handedOver = false;
          const body = new Readable({
            // Called a second time only once the request has consumed what was pushed.
            read() {
              if (!handedOver) {
                handedOver = true;
                this.push(chunk.subarray(0, sent));
              } else {
                onStall(start, start + sent);
                setTimeout(
                  () => fail(`nothing cut the stalled PATCH within ${STALL_LIMIT_MS} ms`),
                  STALL_LIMIT_MS,
                ).unref();
              }
            },
          });
          body.size = chunk.length; // tus-js-client sets Content-Length from this
          return Promise.resolve({ value: body, done });
        },
        close() {},
      });
    },
  };
}

/** The fields both modes give every Upload. */
function options(extra) {
  return {
    endpoint,
    chunkSize: CHUNK_BYTES,
    metadata: { filename: path.basename(file), filetype: 'video/mp4' },
    onBeforeRequest: reportPatches,
    ...extra,
  };
}

async function abortAndResume(buffer) {
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tus-urls-'));
  const urlStorage = new FileUrlStorage(path.join(storageDir, 'uploads.json'));
  try {
    await new Promise((resolve, reject) => {
      const first = new Upload(
        buffer,
        options({
          urlStorage,
          retryDelays: null,
          fileReader: stallingReader((confirmed, sent) => {
            report('stalled', { confirmed, sent });
            first.abort().then(() => {
              report('aborted', { url: first.url, confirmed });
              resolve();
            }, reject);
          }),
          onUploadUrlAvailable: () => report('created', { url: first.url }),
          onSuccess: () => reject(new Error('the upload finished although it was to be aborted')),
          onError: reject,
        }),
      );
      first.start();
    });

    const second = new Upload(buffer, options({ urlStorage, retryDelays: null }));
    const previous = await second.findPreviousUploads();
    if (previous.length !== 1) {
      fail(`expected one unfinished upload in the URL storage, found ${previous.length}`);
    }
    second.resumeFromPreviousUpload(previous[0]);
    await run(second);
    return second.url;
  } finally {
    fs.rmSync(storageDir, { recursive: true, force: true });
  }
}

async function killAndResume(buffer) {
  let stalled = false;
  const upload = new Upload(
    buffer,
    options({
      retryDelays: RETRY_DELAYS_MS,
      fileReader: stallingReader((confirmed, sent) => {
        stalled = true;
        report('stalled', { confirmed, sent }); // the test kills the server on this line
      }),
      onUploadUrlAvailable: () => report('created', { url: upload.url }),
      onShouldRetry: (error, attempt) => {
        report('retrying', { attempt, error: String(error.causingError ?? error) });
        return true;
      },
    }),
  );
  await run(upload);
  if (!stalled) {
    fail('the upload never stalled, so nothing was cut off');
  }
  return upload.url;
}

try {
  const buffer = fs.readFileSync(file);
  const url = await (mode === 'abort' ? abortAndResume(buffer) : killAndResume(buffer));
  report('done', { url, size: buffer.length });
} catch (error) {
  fail(error?.message ?? error);
}
