import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** The text of a PDF, one string per page, lines joined by newlines (pdfjs-dist, as a reader would extract it). */
export async function pdfText(data: Uint8Array): Promise<string[]> {
  const task = getDocument({ data: new Uint8Array(data), verbosity: 0 });
  const pdf = await task.promise;
  const pages: string[] = [];
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent();
    let text = '';
    let lastY: number | undefined;
    for (const item of content.items) {
      if (!('str' in item)) continue;
      const y = item.transform[5] as number;
      if (lastY !== undefined && Math.abs(y - lastY) > 1) text += '\n';
      text += item.str;
      lastY = y;
    }
    pages.push(text);
  }
  await task.destroy();
  return pages;
}
