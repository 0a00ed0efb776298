import PDFDocument from 'pdfkit';

/**
 * PDF rendering with pdfkit and its built-in Helvetica (WinAnsi: every French letter, « », ’, €).
 * The creation date is the document's own "as of" instant, never the clock, so the same content
 * renders to the same bytes (a regenerated document has the same digest).
 */

const MM = 72 / 25.4;

/** Characters outside WinAnsi that French formatting produces (narrow no-break spaces). */
function printable(text: string): string {
  return text.replace(/[\u202f\u2009]/g, ' ').replace(/\u2011/g, '-');
}

function render(asOf: Date, title: string, draw: (doc: PDFKit.PDFDocument) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margins: { top: 20 * MM, bottom: 20 * MM, left: 20 * MM, right: 20 * MM },
      autoFirstPage: false,
      info: { Title: printable(title), Author: 'Rempart', CreationDate: asOf, ModDate: asOf },
      lang: 'fr-FR',
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    try {
      draw(doc);
      doc.end();
    } catch (error) {
      reject(error as Error);
    }
  });
}

export interface Section {
  heading: string;
  /** Label and value lines, or paragraphs (label empty). */
  lines: Array<[string, string]>;
}

/** A structured report: a title, a subtitle, sections of labelled lines (the CNIL draft). */
export function renderReport(
  asOf: Date,
  title: string,
  subtitle: string,
  sections: readonly Section[],
): Promise<Buffer> {
  return render(asOf, title, (doc) => {
    doc.addPage();
    doc.font('Helvetica-Bold').fontSize(15).text(printable(title));
    doc.moveDown(0.3).font('Helvetica').fontSize(9).fillColor('#444444').text(printable(subtitle)).fillColor('black');
    for (const section of sections) {
      doc.moveDown(0.8).font('Helvetica-Bold').fontSize(11.5).text(printable(section.heading));
      doc.moveDown(0.2);
      for (const [label, value] of section.lines) {
        if (label)
          doc
            .font('Helvetica-Bold')
            .fontSize(9.5)
            .text(`${printable(label)} : `, { continued: true })
            .font('Helvetica')
            .text(printable(value));
        else doc.font('Helvetica').fontSize(9.5).text(printable(value));
        doc.moveDown(0.15);
      }
    }
  });
}

export interface Letter {
  /** Lines of the postal block: name, street lines, postal code and commune. */
  address: string[];
  place: string;
  date: string;
  reference: string;
  subject: string;
  paragraphs: string[];
  signature: string[];
}

export interface LetterBatch {
  content: Buffer;
  /** The page (1-based) each letter starts on, in order. */
  startPages: number[];
  pages: number;
}

/**
 * The State's letterhead, after the DSFR's (issue 25 §5): the « République française » block with
 * its motto at the top left and a blue–white–red rule, and a footer naming the controller with its
 * postal address and the DPO's contact, so that every letter says who writes and whom to ask.
 */
export interface LetterLayout {
  /** The controller: its name, then its postal address lines. */
  controller: string[];
  /** The DPO's contact (an address people can write to). */
  dpoContact: string;
}

const DSFR_BLUE = '#000091';
const DSFR_RED = '#E1000F';

function drawLetterhead(doc: PDFKit.PDFDocument, layout: LetterLayout): number {
  const x = 20 * MM;
  const y = 12 * MM;
  // The blue–white–red rule above the block, as the DSFR's header marks the State.
  doc.rect(x, y, 6 * MM, 1.2 * MM).fill(DSFR_BLUE);
  doc.rect(x + 6 * MM, y, 6 * MM, 1.2 * MM).fill('#FFFFFF');
  doc.rect(x + 12 * MM, y, 6 * MM, 1.2 * MM).fill(DSFR_RED);
  doc
    .fillColor('black')
    .font('Helvetica-Bold')
    .fontSize(9.5)
    .text('RÉPUBLIQUE', x, y + 3 * MM, { lineGap: -1 })
    .text('FRANÇAISE');
  doc.font('Helvetica-Oblique').fontSize(6.5).text('Liberté', { lineGap: -1 }).text('Égalité').text('Fraternité');
  // The footer first, on the page's own bottom margin (pdfkit would otherwise start a page).
  const bottom = doc.page.margins.bottom;
  doc.page.margins.bottom = 0;
  const fy = doc.page.height - 18 * MM;
  doc
    .moveTo(x, fy)
    .lineTo(doc.page.width - 20 * MM, fy)
    .lineWidth(0.6)
    .strokeColor(DSFR_BLUE)
    .stroke();
  doc
    .font('Helvetica-Bold')
    .fontSize(7.5)
    .fillColor(DSFR_BLUE)
    .text(printable(`Responsable du traitement : ${layout.controller.join(', ')}`), x, fy + 2 * MM, {
      width: 170 * MM,
    })
    .font('Helvetica')
    .text(
      printable(
        `Vos droits sur vos données, vos questions : ${layout.dpoContact.replace(/\.$/, '')}. Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).`,
      ),
      { width: 170 * MM },
    )
    .fillColor('black')
    .strokeColor('black');
  doc.page.margins.bottom = bottom;
  return y + 22 * MM;
}

/**
 * Letters for a print-and-post service, one after the other in one PDF: the sender at the top
 * left, the postal block where a right-hand window envelope (DL, NF EN ISO 269) shows it. With
 * a `layout`, each letter carries the State's letterhead and the controller's and DPO's footer.
 */
export async function renderLetters(
  asOf: Date,
  title: string,
  sender: string[],
  letters: readonly Letter[],
  layout?: LetterLayout,
): Promise<LetterBatch> {
  const startPages: number[] = [];
  let pages = 0;
  const content = await render(asOf, title, (doc) => {
    doc.on('pageAdded', () => pages++);
    for (const letter of letters) {
      doc.addPage();
      startPages.push(pages);
      const senderTop = layout ? drawLetterhead(doc, layout) : 15 * MM;
      doc
        .font('Helvetica-Bold')
        .fontSize(10)
        .text(printable(sender[0] ?? ''), 20 * MM, senderTop);
      doc.font('Helvetica').fontSize(9);
      for (const line of sender.slice(1)) doc.text(printable(line));
      doc
        .font('Helvetica')
        .fontSize(10.5)
        .text(letter.address.map(printable).join('\n'), 110 * MM, 50 * MM, { width: 85 * MM });
      doc.fontSize(10).text(printable(`${letter.place}, le ${letter.date}`), 110 * MM, 85 * MM, { width: 85 * MM });
      doc
        .fontSize(9)
        .fillColor('#444444')
        .text(printable(`Référence : ${letter.reference}`), 20 * MM, 100 * MM)
        .fillColor('black');
      doc
        .moveDown(0.6)
        .font('Helvetica-Bold')
        .fontSize(10.5)
        .text(printable(`Objet : ${letter.subject}`), { width: 170 * MM });
      doc.moveDown(0.8).font('Helvetica').fontSize(10);
      for (const paragraph of letter.paragraphs) {
        if (paragraph.startsWith('## '))
          doc
            .moveDown(0.3)
            .font('Helvetica-Bold')
            .text(printable(paragraph.slice(3)), { width: 170 * MM })
            .font('Helvetica');
        else doc.text(printable(paragraph), { width: 170 * MM, align: 'left' });
        doc.moveDown(0.45);
      }
      doc.moveDown(0.8);
      for (const line of letter.signature) doc.text(printable(line), 110 * MM, undefined, { width: 85 * MM });
    }
  });
  return { content, startPages, pages };
}
