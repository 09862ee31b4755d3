import { describe, expect, it } from 'vitest';
import { bytesFromDataUrl } from '../../src/core/data-url';
import { FaceMLError } from '../../src/core/errors';
import { scoresFromVector, topEmotion } from '../../src/core/labels';
import type { FaceResult } from '../../src/core/pipeline';
import { FaceTracker } from '../../src/core/tracking';

const face = (x: number, probs: number[]): FaceResult => {
  const scores = scoresFromVector(probs);
  return { box: { x, y: 50, width: 100, height: 100 }, scores, ...topEmotion(scores) };
};
const HAPPY = [0, 0, 0, 0.9, 0.1, 0, 0];
const SAD = [0, 0, 0, 0, 0.1, 0.9, 0];

describe('FaceTracker', () => {
  it('keeps ids for overlapping boxes and gives new faces new ids', () => {
    const t = new FaceTracker();
    const [a, b] = t.update([face(0, HAPPY), face(300, SAD)]);
    const [a2, b2] = t.update([face(10, HAPPY), face(290, SAD)]);
    expect([a2.faceId, b2.faceId]).toEqual([a.faceId, b.faceId]);
    const [, , c] = t.update([face(15, HAPPY), face(285, SAD), face(600, HAPPY)]);
    expect(new Set([a.faceId, b.faceId, c.faceId]).size).toBe(3);
  });

  it('smooths scores so one odd frame does not flip the label', () => {
    const t = new FaceTracker({ smoothing: 0.6 });
    for (let i = 0; i < 5; i++) t.update([face(0, HAPPY)]);
    const [odd] = t.update([face(0, SAD)]);
    expect(odd.emotion).toBe('happy');
    let label = odd.emotion;
    for (let i = 0; i < 4; i++) label = t.update([face(0, SAD)])[0].emotion;
    expect(label).toBe('sad');
  });

  it('forgets a face after maxMissedFrames frames without it, not before', () => {
    // Remembered: the returning face's scores blend with its track's; forgotten: they start afresh.
    const t = new FaceTracker({ maxMissedFrames: 2, smoothing: 0.75 });
    t.update([face(0, HAPPY)]);
    t.update([]);
    t.update([]);
    expect(t.update([face(0, SAD)])[0].emotion).toBe('happy');
    t.update([]);
    t.update([]);
    t.update([]);
    expect(t.update([face(0, SAD)])[0].emotion).toBe('sad');
  });

  it('gives a face found again where it was lost its old id back, within reviveFrames frames', () => {
    const t = new FaceTracker({ maxMissedFrames: 1, reviveFrames: 20 });
    const [a, b] = t.update([face(0, HAPPY), face(300, SAD)]);
    // Both lost for 10 frames (a turned head, a hand), then found again where they were.
    for (let i = 0; i < 10; i++) t.update([]);
    const back = t.update([face(5, HAPPY), face(305, SAD)]);
    expect(back.map((f) => f.faceId)).toEqual([a.faceId, b.faceId]);
    // Someone appearing elsewhere is someone new; so is a face back after the memory ran out.
    expect(t.update([face(5, HAPPY), face(305, SAD), face(700, HAPPY)])[2].faceId).toBe(3);
    for (let i = 0; i < 25; i++) t.update([]);
    expect(t.update([face(0, HAPPY)])[0].faceId).toBe(4);
  });

  it('does not give a lost id to someone else who appears where that face was', () => {
    const t = new FaceTracker({ maxMissedFrames: 1, reviveFrames: 20 });
    const looks = (k: number) => Float32Array.from({ length: 4 }, (_, i) => (i === k ? 1 : 0));
    const [a] = t.update([{ ...face(0, HAPPY), signature: looks(0) }]);
    for (let i = 0; i < 5; i++) t.update([]);
    // A different-looking face in the same place is someone new; the lost person, back, is not.
    const [other] = t.update([{ ...face(0, SAD), signature: looks(1) }]);
    expect(other.faceId).not.toBe(a.faceId);
    const [back] = t.update([{ ...face(20, HAPPY), signature: looks(0) }]);
    expect(back.faceId).toBe(a.faceId);
  });

  it('with boxes reused from an earlier detection, continues tracks but starts none', () => {
    const t = new FaceTracker({ maxMissedFrames: 1 });
    const looks = (k: number) => Float32Array.from({ length: 4 }, (_, i) => (i === k ? 1 : 0));
    const [a] = t.update([{ ...face(0, HAPPY), signature: looks(0) }]);
    // The reused box now shows someone else (or no one): left out, and it leaves no new face.
    expect(t.update([{ ...face(0, SAD), signature: looks(1) }], { mayStartTracks: false })).toEqual([]);
    expect(t.update([{ ...face(0, HAPPY), signature: looks(0) }, { ...face(500, SAD) }], { mayStartTracks: false }).map((f) => f.faceId)).toEqual([a.faceId]);
    // The detector's own boxes start tracks as before.
    expect(t.update([{ ...face(0, HAPPY), signature: looks(0) }, { ...face(500, SAD) }]).map((f) => f.faceId)).toEqual([a.faceId, 2]);
  });

  it('alternates the face views frame by frame when it smooths, and asks for both when it does not', () => {
    const t = new FaceTracker({ smoothing: 0.5 });
    const views = [];
    for (let i = 0; i < 4; i++) {
      views.push(t.nextViews());
      t.update([face(0, HAPPY)]);
    }
    expect(views).toEqual(['asIs', 'mirrored', 'asIs', 'mirrored']);
    const raw = new FaceTracker({ smoothing: 0 });
    raw.update([face(0, HAPPY)]);
    expect(raw.nextViews()).toBe('both');
  });

  it('with smoothing 0 reports raw scores', () => {
    const t = new FaceTracker({ smoothing: 0 });
    t.update([face(0, HAPPY)]);
    expect(t.update([face(0, SAD)])[0].scores.sad).toBeCloseTo(0.9);
    expect(() => new FaceTracker({ smoothing: 1 })).toThrow(RangeError);
  });
});

describe('bytesFromDataUrl', () => {
  const jpegish = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
  const b64 = Buffer.from(jpegish).toString('base64');
  it('decodes data URLs and bare base64 (also URL-safe, with line breaks)', () => {
    expect(bytesFromDataUrl(`data:image/jpeg;base64,${b64}`)).toEqual(jpegish);
    expect(bytesFromDataUrl(`data:image/png;name=x.png;base64,${b64}`)).toEqual(jpegish);
    expect(bytesFromDataUrl(b64)).toEqual(jpegish);
    expect(bytesFromDataUrl(b64.slice(0, 4) + '\n' + b64.slice(4))).toEqual(jpegish);
  });
  it('refuses other types and broken base64 with INVALID_IMAGE', () => {
    for (const bad of ['', 'data:text/plain;base64,aGk=', 'data:image/jpeg,rawtext', 'data:image/jpeg;base64,', '@@@@', 'abcde']) {
      expect(() => bytesFromDataUrl(bad)).toThrow(FaceMLError);
    }
  });
});
