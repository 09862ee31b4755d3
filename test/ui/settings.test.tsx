// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, loadSettings, saveSettings, type Settings } from '../../src/storage/settings';
import { SettingsForm } from '../../src/ui/SettingsForm';
import { MemoryArea } from '../helpers/memory-storage';

afterEach(cleanup);
// happy-dom does not submit a form on a submit button's click (browsers do): submit the form itself.
const save = () => fireEvent.submit(screen.getByRole('button', { name: 'Save settings' }).closest('form')!);

describe('SettingsForm', () => {
  it('saves changed values through the settings store', async () => {
    const area = new MemoryArea();
    render(<SettingsForm settings={{ ...DEFAULT_SETTINGS }} onSave={async (next: Settings) => void (await saveSettings(area, next))} />);
    fireEvent.input(screen.getByLabelText(/Frames analyzed per second/), { target: { value: '8' } });
    fireEvent.input(screen.getByLabelText(/Minimum face size/), { target: { value: '48' } });
    fireEvent.click(screen.getByLabelText('Emoji'));
    fireEvent.input(screen.getByLabelText(/Sites where detection may be turned on/), { target: { value: 'https://www.youtube.com/\nmeet.google.com' } });
    fireEvent.click(screen.getByLabelText(/thumbnails/));
    save();
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Saved.'));
    const saved = await loadSettings(area);
    expect(saved).toMatchObject({ fps: 8, minFaceSize: 48, overlayStyle: 'emoji', allowedSites: ['youtube.com', 'meet.google.com'], saveThumbnails: true });
  });

  it('rejects a site that is not a site and saves nothing', async () => {
    const area = new MemoryArea();
    render(<SettingsForm settings={{ ...DEFAULT_SETTINGS }} onSave={async (next: Settings) => void (await saveSettings(area, next))} />);
    fireEvent.input(screen.getByLabelText(/Sites where detection may be turned on/), { target: { value: 'http://[oops' } });
    save();
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/Not a site: http:\/\/\[oops/));
    expect(area.data).toEqual({});
  });

  it('reports a failed save (storage full) instead of claiming success', async () => {
    render(<SettingsForm settings={{ ...DEFAULT_SETTINGS }} onSave={async () => Promise.reject(new Error('QUOTA_BYTES quota exceeded'))} />);
    save();
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/Could not save: QUOTA_BYTES/));
  });

  it('shows unsaved changes, saves only when something changed, and resets to the defaults (history on/off among them)', async () => {
    const area = new MemoryArea();
    const mine: Settings = { ...DEFAULT_SETTINGS, fps: 12, saveHistory: false, allowedSites: ['zoom.us'], retention: { ...DEFAULT_SETTINGS.retention } };
    render(<SettingsForm settings={mine} onSave={async (next: Settings) => void (await saveSettings(area, next))} />);
    const saveButton = () => screen.getByRole('button', { name: 'Save settings' }) as HTMLButtonElement;
    expect(screen.queryByText('Unsaved changes')).toBeNull();
    expect(saveButton().disabled).toBe(true);
    expect((screen.getByLabelText(/Keep a history/) as HTMLInputElement).checked).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Reset to defaults' }));
    expect(screen.getByText('Unsaved changes')).toBeTruthy();
    expect(saveButton().disabled).toBe(false);
    expect((screen.getByLabelText(/Keep a history/) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText(/Sites where detection may be turned on/) as HTMLTextAreaElement).value).toBe('');
    save();
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Saved.'));
    expect(await loadSettings(area)).toEqual(DEFAULT_SETTINGS);
    expect(screen.queryByText('Unsaved changes')).toBeNull();
  });
});
