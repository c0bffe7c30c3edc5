/**
 * Recording a voice message: the microphone through getUserMedia, Opus through MediaRecorder
 * (WebM in Chromium, Ogg where that is what the browser records). The microphone is released as
 * soon as the recording stops or is cancelled.
 */
export interface Recording {
  /** Stops and returns what was recorded, with its length measured while recording. */
  stop(): Promise<{ blob: Blob; durationMs: number }>;
  cancel(): void;
}

const PREFERRED_TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'] as const;

export async function startRecording(now: () => number = () => performance.now()): Promise<Recording> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const release = () => stream.getTracks().forEach((track) => track.stop());
  let recorder: MediaRecorder;
  try {
    const mimeType = PREFERRED_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
  } catch (error) {
    release();
    throw error;
  }
  const chunks: Blob[] = [];
  recorder.addEventListener('dataavailable', (event) => {
    if (event.data.size > 0) chunks.push(event.data);
  });
  const startedAt = now();
  recorder.start(250);
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        const durationMs = now() - startedAt;
        recorder.addEventListener('stop', () => {
          release();
          resolve({ blob: new Blob(chunks, { type: recorder.mimeType }), durationMs });
        });
        recorder.addEventListener('error', () => {
          release();
          reject(new Error('recording failed'));
        });
        recorder.stop();
      }),
    cancel: () => {
      if (recorder.state !== 'inactive') recorder.stop();
      release();
    },
  };
}
