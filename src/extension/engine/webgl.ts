/**
 * The WebGL renderer of this document ("ANGLE (NVIDIA ...)", "SwiftShader ..."), or null when
 * WebGL is unavailable. A throwaway 1x1 context, released at once.
 */
export function webglRenderer(): string | null {
  try {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer;
  } catch {
    return null;
  }
}
