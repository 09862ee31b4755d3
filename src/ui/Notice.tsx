/** First-run notice about privacy and responsible use. Shown until the user acknowledges it. */
export function ResponsibleUseNotice({ onAccept }: { onAccept: () => void }) {
  return (
    <section class="card" role="region" aria-labelledby="notice-title">
      <h2 id="notice-title">Before you start</h2>
      <ul>
        <li>Everything stays on this device: faces are analyzed locally and nothing is uploaded.</li>
        <li>Analyzing other people's faces may need their consent. Ask first.</li>
        <li>
          The EU AI Act (Art. 5(1)(f)) forbids emotion recognition in workplaces and schools. Do not use FaceML there.
        </li>
        <li>Detection is off by default; you turn it on per tab.</li>
      </ul>
      <button class="primary" onClick={onAccept}>
        I understand
      </button>
    </section>
  );
}
