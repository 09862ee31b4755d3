import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, loadSettings, normaliseSite, sanitiseSettings, saveSettings, siteAllowed } from '../../src/storage/settings';
import { MemoryArea } from '../helpers/memory-storage';

describe('settings', () => {
  it('defaults when nothing or garbage is stored', async () => {
    expect(await loadSettings(new MemoryArea())).toEqual(DEFAULT_SETTINGS);
    expect(sanitiseSettings('nonsense')).toEqual(DEFAULT_SETTINGS);
    expect(sanitiseSettings({ fps: 'fast', overlayStyle: 'neon', retention: 5 })).toEqual(DEFAULT_SETTINGS);
  });

  it('clamps numbers and drops unknown keys', () => {
    const s = sanitiseSettings({ fps: 100, minFaceSize: 2, smoothing: 1, confidenceThreshold: -1, retention: { days: 0, sessions: 1e9 }, evil: '<script>' });
    expect(s.fps).toBe(30);
    expect(s.minFaceSize).toBe(20);
    expect(s.smoothing).toBe(0.95);
    expect(s.confidenceThreshold).toBe(0);
    expect(s.retention).toEqual({ days: 1, sessions: 10_000, images: DEFAULT_SETTINGS.retention.images });
    expect('evil' in s).toBe(false);
  });

  it('saves merged, valid settings', async () => {
    const area = new MemoryArea();
    await saveSettings(area, { fps: 3 });
    const s = await saveSettings(area, { overlayStyle: 'emoji', allowedSites: ['https://www.YouTube.com/watch?v=1', 'meet.google.com', ' ', 'http://[bad'] });
    expect(s.fps).toBe(3);
    expect(s.overlayStyle).toBe('emoji');
    expect(s.allowedSites).toEqual(['youtube.com', 'meet.google.com']);
    expect(await loadSettings(area)).toEqual(s);
  });

  it('allowed sites match the site and its subdomains only', () => {
    const s = { allowedSites: ['youtube.com'] };
    expect(siteAllowed({ allowedSites: [] }, 'https://anything.example/')).toBe(true);
    expect(siteAllowed(s, 'https://www.youtube.com/watch')).toBe(true);
    expect(siteAllowed(s, 'https://m.youtube.com/')).toBe(true);
    expect(siteAllowed(s, 'https://notyoutube.com/')).toBe(false);
    expect(siteAllowed(s, 'https://youtube.com.evil.example/')).toBe(false);
    expect(siteAllowed(s, undefined)).toBe(false);
    expect(normaliseSite('')).toBeNull();
  });

  it('takes host names, URLs, localhost and IP addresses as sites, and refuses what names no site', () => {
    expect(normaliseSite('https://www.Meet.Google.com/abc-def?x=1')).toBe('meet.google.com');
    expect(normaliseSite('zoom.us')).toBe('zoom.us');
    expect(normaliseSite('localhost:8080')).toBe('localhost');
    expect(normaliseSite('127.0.0.1')).toBe('127.0.0.1');
    expect(normaliseSite('bücher.example')).toBe('xn--bcher-kva.example');
    for (const bad of ['not a site!!', 'notasite!!', 'meet', 'a..b', '-x.com', 'http://', '*.evil']) expect(normaliseSite(bad), bad).toBeNull();
    // Stored settings with such entries lose them.
    expect(sanitiseSettings({ allowedSites: ['notasite!!', 'zoom.us'] }).allowedSites).toEqual(['zoom.us']);
  });
});
