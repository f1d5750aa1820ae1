/**
 * A long URL or name that must neither overflow its box nor break at a hyphen (a break after
 * "cedadev-" reads as a word broken in two): it may wrap only after `.`, `/`, `:` and `?`, each piece
 * between them kept whole. The text itself is unchanged (copying it copies the URL).
 */
export function UrlText({ text, class: cls }: { text: string; class?: string }) {
  const pieces = text.split(/(?<=[./:?&=])/);
  return (
    <code class={`url ${cls ?? ''}`.trim()} data-url={text}>
      {pieces.map((p, i) => (
        <>
          {i > 0 && <wbr />}
          <span class="nobr">{p}</span>
        </>
      ))}
    </code>
  );
}
