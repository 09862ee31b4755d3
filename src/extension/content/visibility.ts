/**
 * Whether a video is one the user sees: FaceML analyses what is on screen for the user, and a
 * page must not use it to look at what the user does not see. The attack this stops: an
 * invisible cross-origin video laid over a cross-origin frame, so that tab captures (taken for
 * videos the page cannot read) analyse the frame's pixels for the page.
 */

/** Below this opacity (of the video and its ancestors together) a video is not really shown. */
const MIN_OPACITY = 0.5;

/** The element's parent in the flat tree: across shadow roots to their hosts. */
function composedParent(el: Element): Element | null {
  return el.parentElement ?? ((el.getRootNode() as ShadowRoot).host || null);
}

/** Shown at all (not hidden, not transparent, not content-visibility: hidden) and mostly opaque. */
export function shown(el: Element): boolean {
  const check = (el as Element & { checkVisibility?: (o: object) => boolean }).checkVisibility;
  if (check && !check.call(el, { opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true })) return false;
  let opacity = 1;
  for (let at: Element | null = el; at; at = composedParent(at)) opacity *= Number(getComputedStyle(at).opacity || 1);
  return opacity >= MIN_OPACITY;
}

/** Elements whose own picture would be in a tab capture instead of the video's. */
const PICTURES = new Set(['IFRAME', 'FRAME', 'EMBED', 'OBJECT', 'IMG', 'VIDEO', 'CANVAS', 'PICTURE', 'SVG']);

/**
 * Whether the video is what a tab capture of its rectangle shows: at its centre and four inner
 * points, the topmost element (FaceML's overlays aside: they take no pointer events anyway) is the video, or something that
 * draws no picture of its own (a player's transparent controls layer, a caption).
 */
export function uncovered(video: Element, rect: { x: number; y: number; width: number; height: number }): boolean {
  const points = [
    [0.5, 0.5],
    [0.25, 0.25],
    [0.75, 0.25],
    [0.25, 0.75],
    [0.75, 0.75],
  ];
  return points.every(([fx, fy]) => {
    const stack = document.elementsFromPoint(rect.x + rect.width * fx, rect.y + rect.height * fy);
    const top = stack.find((el) => el.tagName !== 'FACEML-OVERLAY');
    return top === video || (top !== undefined && !PICTURES.has(top.tagName.toUpperCase()));
  });
}
