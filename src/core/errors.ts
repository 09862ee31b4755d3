/** Every failure the core reports on purpose carries one of these codes. */
export type FaceMLErrorCode =
  | 'INVALID_IMAGE' // bytes that are not a decodable JPEG/PNG/WebP, or a broken data URL
  | 'EMPTY_IMAGE' // zero width or height
  | 'IMAGE_TOO_LARGE' // more pixels than the configured limit
  | 'MODEL_LOAD_FAILED' // model files missing, corrupt or incompatible
  | 'DETECTOR_LOAD_FAILED' // OpenCV or the cascade could not be loaded
  | 'NOT_READY' // pipeline used before it finished loading
  | 'INVALID_ARGUMENT';

export class FaceMLError extends Error {
  readonly code: FaceMLErrorCode;
  constructor(code: FaceMLErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceMLError';
    this.code = code;
  }
}

export function isFaceMLError(value: unknown): value is FaceMLError {
  return value instanceof FaceMLError;
}
