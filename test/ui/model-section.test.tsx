// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelChoice } from '../../src/extension/model-choice';
import { ModelSection } from '../../src/ui/ModelSection';

const builtin = { name: 'faceml-emotion', date: '2026-11-24', accuracy: 0.672, evaluation: { dataset: 'FER-2013 PublicTest', accuracy: 0.7005 } };
const custom: ModelChoice['custom'] = { name: 'my-net', date: '2026-11-20', accuracy: 0.61, slot: 'a', importedAt: 1, metadata: {} };

afterEach(cleanup);

describe('ModelSection', () => {
  it('shows the built-in model as active with its date and its measured accuracy (the figure the README quotes)', () => {
    render(<ModelSection builtin={builtin} choice={{ active: 'builtin', custom: null }} onImport={vi.fn()} onSwitch={vi.fn()} />);
    expect(screen.getByText('faceml-emotion, trained 2026-11-24, 70.05% on FER-2013 PublicTest (built-in)')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Use my own model' }) as HTMLButtonElement).disabled).toBe(true); // no files chosen
  });

  it('imports chosen files and reports success', async () => {
    const onImport = vi.fn(async () => {});
    render(<ModelSection builtin={builtin} choice={{ active: 'builtin', custom: null }} onImport={onImport} onSwitch={vi.fn()} />);
    const file = new File(['{}'], 'model.json', { type: 'application/json' });
    fireEvent.change(screen.getByLabelText(/Model files/), { target: { files: [file] } });
    fireEvent.click(screen.getByRole('button', { name: 'Use my own model' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Model imported and active.'));
    expect(onImport).toHaveBeenCalledWith([file]);
  });

  it('shows what is wrong with a refused model', async () => {
    const onImport = vi.fn(async () => Promise.reject(new Error('weight file missing: weights.bin')));
    render(<ModelSection builtin={builtin} choice={{ active: 'builtin', custom: null }} onImport={onImport} onSwitch={vi.fn()} />);
    fireEvent.change(screen.getByLabelText(/Model files/), { target: { files: [new File(['{}'], 'model.json')] } });
    fireEvent.click(screen.getByRole('button', { name: 'Use my own model' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('weight file missing: weights.bin'));
    expect(screen.getByRole('alert').className).toBe('error');
  });

  it('with an imported model active, offers to switch back; otherwise to use it again', async () => {
    const onSwitch = vi.fn(async () => {});
    const { rerender } = render(<ModelSection builtin={builtin} choice={{ active: 'custom', custom }} onImport={vi.fn()} onSwitch={onSwitch} />);
    expect(screen.getByText(/my-net, trained 2026-11-20, validation accuracy 61% \(imported\)/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Switch back to the built-in model' }));
    await waitFor(() => expect(onSwitch).toHaveBeenCalledWith('builtin'));
    rerender(<ModelSection builtin={builtin} choice={{ active: 'builtin', custom }} onImport={vi.fn()} onSwitch={onSwitch} />);
    fireEvent.click(screen.getByRole('button', { name: /Use imported model again \(my-net\)/ }));
    await waitFor(() => expect(onSwitch).toHaveBeenCalledWith('custom'));
  });
});
