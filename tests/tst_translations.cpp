// The console's German and Japanese translations: the .qm files compiled in under :/i18n translate
// known strings in their right contexts (and installTranslations() picks them by language; the
// models keep speaking English and the views translate what they say), every
// message of translations/*.ts is finished and keeps the source's placeholders, accelerators,
// line breaks and trailing ellipsis, and lupdate over the sources finds no message that the .ts
// files lack or no longer need. Every runbook has a German and a Japanese version with the
// English one's outline, links (the action buttons among them) and code spans, and the desktop
// shows the one of its language.
#include "models/action_catalogue.h"
#include "models/snapshot_models.h"
#include "state/key_groups.h"
#include "views/main_window.h"
#include "views/translation.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTranslator>
#include <QXmlStreamReader>
#include <QtTest>

#include <algorithm>

namespace {

struct TsMessage {
    QString context;
    QString source;
    QString type;                 // the <translation> type attribute: "", "unfinished", "vanished", "obsolete"
    QStringList translations;     // one, or one per numerus form
    bool numerus = false;
};

// All messages of a .ts file; `error` is set when it cannot be read.
QVector<TsMessage> readTs(const QString &path, QString *error)
{
    QVector<TsMessage> messages;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = path + QStringLiteral(": ") + file.errorString();
        return messages;
    }
    QXmlStreamReader xml(&file);
    QString context;
    while (xml.readNextStartElement()) {
        if (xml.name() == QLatin1String("TS"))
            continue;
        if (xml.name() != QLatin1String("context")) {
            xml.skipCurrentElement();
            continue;
        }
        while (xml.readNextStartElement()) {
            if (xml.name() == QLatin1String("name")) {
                context = xml.readElementText();
            } else if (xml.name() == QLatin1String("message")) {
                TsMessage m;
                m.context = context;
                m.numerus = xml.attributes().value(QLatin1String("numerus")) == QLatin1String("yes");
                while (xml.readNextStartElement()) {
                    if (xml.name() == QLatin1String("source")) {
                        m.source = xml.readElementText();
                    } else if (xml.name() == QLatin1String("translation")) {
                        m.type = xml.attributes().value(QLatin1String("type")).toString();
                        if (m.numerus) {
                            while (xml.readNextStartElement()) {
                                if (xml.name() == QLatin1String("numerusform"))
                                    m.translations.push_back(xml.readElementText());
                                else
                                    xml.skipCurrentElement();
                            }
                        } else {
                            m.translations.push_back(xml.readElementText());
                        }
                    } else {
                        xml.skipCurrentElement();
                    }
                }
                messages.push_back(m);
            } else {
                xml.skipCurrentElement();
            }
        }
    }
    if (xml.hasError())
        *error = QStringLiteral("%1:%2: %3").arg(path).arg(xml.lineNumber()).arg(xml.errorString());
    return messages;
}

QStringList tsFiles(const QString &dir)
{
    QStringList files;
    for (const QFileInfo &info : QDir(dir).entryInfoList({QStringLiteral("*.ts")}, QDir::Files, QDir::Name))
        files << info.absoluteFilePath();
    return files;
}

// Placeholders (%1..%99, %n, %L1), sorted: the translation may reorder them, not change them.
QStringList placeholders(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("%L?(\\d{1,2}|n)"));
    QStringList found;
    for (auto it = re.globalMatch(text); it.hasNext();)
        found << it.next().captured(0);
    found.sort();
    return found;
}

// Keyboard accelerators: '&' before a letter or digit ("&&" is a literal ampersand).
int accelerators(const QString &text)
{
    int count = 0;
    for (qsizetype i = 0; i + 1 < text.size(); ++i) {
        if (text[i] != QLatin1Char('&'))
            continue;
        if (text[i + 1] == QLatin1Char('&')) {
            ++i;
            continue;
        }
        if (text[i + 1].isLetterOrNumber())
            ++count;
    }
    return count;
}

QString key(const TsMessage &m) { return m.context + QStringLiteral(" | ") + m.source; }

} // namespace

class TranslationsTest : public QObject {
    Q_OBJECT
private slots:
    void compiledIn_data();
    void compiledIn();
    void installedByLanguage();
    void tsFilesComplete();
    void tsFilesUpToDate();
    void runbooksTranslated_data();
    void runbooksTranslated();
    void runbookFollowsTheLanguage();
};

void TranslationsTest::compiledIn_data()
{
    QTest::addColumn<QString>("qm");
    QTest::addColumn<QString>("context");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("expected");

    const QString de = QStringLiteral(":/i18n/tally_de.qm");
    const QString ja = QStringLiteral(":/i18n/tally_ja.qm");
    auto row = [](const char *name, const QString &qm, const char *context, const char *source, const QString &expected) {
        QTest::newRow(name) << qm << QString::fromUtf8(context) << QString::fromUtf8(source) << expected;
    };
    row("de overview", de, "tally::OverviewModel", "Throughput in", QStringLiteral("Durchsatz eingehend"));
    row("de page title", de, "tally::OverviewPage", "Overview", QStringLiteral("Übersicht"));
    row("de action", de, "tally::ActionCatalogue", "&Pause source", QStringLiteral("Quelle &pausieren"));
    row("de ellipsis", de, "tally::MainWindow", "&Language…", QStringLiteral("&Sprache…"));
    row("de catalogue message", de, "tally::ActionCatalogue", "%1 must be an integer from %2 to %3",
        QStringLiteral("%1 muss eine ganze Zahl von %2 bis %3 sein"));
    row("de reason", de, "tally::EngineHost", "The source is already paused.",
        QStringLiteral("Die Quelle ist bereits pausiert."));
    row("de alert", de, "tally::AlertModel", "Sustained backpressure", QStringLiteral("Anhaltende Backpressure"));
    row("de free function", de, "QObject", "%1 %", QStringLiteral("%1 %"));
    row("de placeholder", de, "tally::WatermarksPage", "Partition %1 holds the watermark back.",
        QStringLiteral("Partition %1 hält das Watermark zurück."));
    row("ja overview", ja, "tally::OverviewModel", "Throughput in", QStringLiteral("スループット（入力）"));
    row("ja page title", ja, "tally::OverviewPage", "Overview", QStringLiteral("概要"));
    row("ja action", ja, "tally::ActionCatalogue", "&Pause source", QStringLiteral("ソースを一時停止(&P)"));
    row("ja ellipsis", ja, "tally::MainWindow", "&Language…", QStringLiteral("言語(&L)…"));
    row("ja reason", ja, "tally::EngineHost", "The source is already paused.",
        QStringLiteral("ソースはすでに一時停止しています。"));
    row("ja alert", ja, "tally::AlertModel", "Sustained backpressure", QStringLiteral("持続的なバックプレッシャー"));
    row("ja free function", ja, "QObject", "%1 %", QStringLiteral("%1%"));
    row("ja line break", ja, "tally::OperatorGraph", "%1\n%2 busy, %3 bp", QStringLiteral("%1\nビジー %2、BP %3"));
}

void TranslationsTest::compiledIn()
{
    QFETCH(QString, qm);
    QFETCH(QString, context);
    QFETCH(QString, source);
    QFETCH(QString, expected);
    QTranslator translator;
    QVERIFY2(translator.load(qm), qPrintable(qm + QStringLiteral(" is not compiled in")));
    QVERIFY(!translator.isEmpty());
    QCOMPARE(translator.translate(context.toUtf8().constData(), source.toUtf8().constData()), expected);
    // The same text in a context that does not have it stays untranslated.
    QVERIFY(translator.translate("tally::NoSuchContext", source.toUtf8().constData()).isNull());
}

void TranslationsTest::installedByLanguage()
{
    // installTranslations() loads tally_<language>.qm from :/i18n the way the application does.
    // The model speaks English whatever the language; the views translate its text.
    tally::OverviewModel model;
    tally::TranslatedModel shown(&model);
    const auto header = [&] { return shown.headerData(0, Qt::Horizontal).toString(); };
    const auto english = [&] { return model.headerData(0, Qt::Horizontal).toString(); };
    const tally::ActionSpec &rescale = tally::ActionCatalogue::spec(tally::OperatorAction::Rescale);
    const tally::UiText outOfRange =
        *tally::ActionCatalogue::checkParameters(tally::OperatorAction::Rescale, {{QStringLiteral("parallelism"), 0}});
    tally::installTranslations(QStringLiteral("de_DE"));
    QCOMPARE(header(), QStringLiteral("Kennzahl"));
    QCOMPARE(english(), QStringLiteral("Figure"));
    QCOMPARE(tally::translated(tally::formatDuration(200)), QStringLiteral("3 min 20 s"));
    QCOMPARE(tally::translated(rescale.label), QStringLiteral("Neu s&kalieren"));
    QCOMPARE(rescale.label.english(), QStringLiteral("Resc&ale"));
    QCOMPARE(tally::translated(outOfRange),
             QStringLiteral("parallelism muss eine ganze Zahl von 1 bis %1 sein").arg(tally::kMaxParallelism));
    QCOMPARE(outOfRange.english(), QStringLiteral("parallelism must be an integer from 1 to %1").arg(tally::kMaxParallelism));
    tally::installTranslations(QStringLiteral("ja_JP"));
    QCOMPARE(header(), QStringLiteral("指標"));
    QCOMPARE(tally::translated(tally::formatDuration(200)), QStringLiteral("3分20秒"));
    tally::installTranslations(QStringLiteral("en_US")); // no tally_en.qm: the source texts
    QCOMPARE(header(), QStringLiteral("Figure"));
}

void TranslationsTest::tsFilesComplete()
{
    const QStringList files = tsFiles(QStringLiteral(TALLY_TRANSLATIONS_DIR));
    QVERIFY2(files.size() >= 2, qPrintable(QStringLiteral("no .ts files in %1").arg(TALLY_TRANSLATIONS_DIR)));
    QStringList problems;
    for (const QString &file : files) {
        QString error;
        const QVector<TsMessage> messages = readTs(file, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(!messages.isEmpty(), qPrintable(file + QStringLiteral(" has no messages")));
        const QString name = QFileInfo(file).fileName();
        for (const TsMessage &m : messages) {
            auto problem = [&](const QString &what) { problems << QStringLiteral("%1: [%2]: %3").arg(name, key(m), what); };
            if (!m.type.isEmpty()) {
                problem(m.type);
                continue;
            }
            if (m.translations.isEmpty()) {
                problem(QStringLiteral("no translation"));
                continue;
            }
            for (const QString &t : m.translations) {
                if (t.trimmed().isEmpty()) {
                    problem(QStringLiteral("empty translation"));
                    continue;
                }
                QStringList expected = placeholders(m.source);
                if (m.numerus) // a numerus form may leave out %n (e.g. "one item")
                    expected.removeAll(QStringLiteral("%n"));
                QStringList actual = placeholders(t);
                if (m.numerus)
                    actual.removeAll(QStringLiteral("%n"));
                if (actual != expected)
                    problem(QStringLiteral("placeholders %1 in \"%2\", the source has %3")
                                .arg(actual.join(QLatin1Char(',')), t, expected.join(QLatin1Char(','))));
                if (accelerators(t) != std::min(accelerators(m.source), 1))
                    problem(QStringLiteral("\"%1\" needs exactly %2 accelerator(s), like the source")
                                .arg(t)
                                .arg(std::min(accelerators(m.source), 1)));
                if (m.source.endsWith(QStringLiteral("…")) != t.endsWith(QStringLiteral("…")))
                    problem(QStringLiteral("\"%1\": a trailing … in one of source and translation only").arg(t));
                if (m.source.count(QLatin1Char('\n')) != t.count(QLatin1Char('\n')))
                    problem(QStringLiteral("\"%1\": another number of line breaks than the source").arg(t));
            }
        }
    }
    QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("\n") + problems.join(QLatin1Char('\n'))));
}

void TranslationsTest::tsFilesUpToDate()
{
    // lupdate merges the sources into copies of the .ts files: new strings come out unfinished,
    // strings gone from the sources as vanished. Either way the sets of messages differ.
    const QStringList files = tsFiles(QStringLiteral(TALLY_TRANSLATIONS_DIR));
    QVERIFY(!files.isEmpty());
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QStringList copies;
    for (const QString &file : files) {
        const QString copy = dir.filePath(QFileInfo(file).fileName());
        QVERIFY(QFile::copy(file, copy));
        copies << copy;
    }
    QProcess lupdate;
    lupdate.setProcessChannelMode(QProcess::MergedChannels);
    lupdate.start(QStringLiteral(TALLY_LUPDATE), QStringList{QStringLiteral("-silent"), QStringLiteral("-locations"),
                                                             QStringLiteral("none"),
                                                             QStringLiteral("@" TALLY_LUPDATE_SOURCES),
                                                             QStringLiteral("-ts")}
                                                     + copies);
    QVERIFY2(lupdate.waitForFinished(60000), qPrintable(lupdate.errorString()));
    const QString output = QString::fromLocal8Bit(lupdate.readAll());
    QVERIFY2(lupdate.exitStatus() == QProcess::NormalExit && lupdate.exitCode() == 0, qPrintable(output));

    QStringList problems;
    for (int i = 0; i < files.size(); ++i) {
        QString error;
        const QVector<TsMessage> before = readTs(files[i], &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QVector<TsMessage> after = readTs(copies[i], &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QSet<QString> known;
        for (const TsMessage &m : before)
            known.insert(key(m));
        const QString name = QFileInfo(files[i]).fileName();
        for (const TsMessage &m : after) {
            if (!known.contains(key(m)))
                problems << QStringLiteral("%1: new in the sources: [%2]").arg(name, key(m));
            else if (m.type == QLatin1String("vanished") || m.type == QLatin1String("obsolete"))
                problems << QStringLiteral("%1: gone from the sources: [%2]").arg(name, key(m));
        }
        QVERIFY2(after.size() >= before.size(), qPrintable(name + QStringLiteral(": lupdate dropped messages")));
    }
    QVERIFY2(problems.isEmpty(),
             qPrintable(QStringLiteral("\nThe .ts files do not match the sources. Run `cmake --build <build> --target "
                                       "update_translations`, then translate the unfinished messages.\n")
                        + problems.join(QLatin1Char('\n'))));
}

namespace {

// What a translated runbook must keep from the English one: its outline (heading levels in order,
// list items per kind), its fenced code blocks verbatim, and every link target (action:... buttons
// among them) and code span (metric names, configuration keys, commands), as multisets.
struct RunbookShape {
    QStringList headings;  // "#", "##", ... in order
    int bullets = 0;       // "- " items
    int numbered = 0;      // "1. " items
    QStringList blocks;    // fenced code blocks, in order
    QStringList links;     // targets, sorted
    QStringList codeSpans; // sorted

    static RunbookShape of(QString markdown)
    {
        RunbookShape shape;
        // Fenced blocks first: their backticks and brackets are code, not spans or links.
        static const QRegularExpression fence(QStringLiteral("^[ \\t]*```[^\\n]*\\n.*?^[ \\t]*```"),
                                              QRegularExpression::MultilineOption | QRegularExpression::DotMatchesEverythingOption);
        for (auto it = fence.globalMatch(markdown); it.hasNext();)
            shape.blocks << it.next().captured(0);
        markdown.remove(fence);
        static const QRegularExpression heading(QStringLiteral("^(#+) "));
        static const QRegularExpression bullet(QStringLiteral("^\\s*- "));
        static const QRegularExpression numbered(QStringLiteral("^\\s*\\d+\\. "));
        static const QRegularExpression link(QStringLiteral("\\]\\(([^)]*)\\)"));
        static const QRegularExpression code(QStringLiteral("`([^`]+)`"));
        for (const QString &line : markdown.split(QLatin1Char('\n'))) {
            if (const auto m = heading.match(line); m.hasMatch())
                shape.headings << m.captured(1);
            shape.bullets += bullet.match(line).hasMatch() ? 1 : 0;
            shape.numbered += numbered.match(line).hasMatch() ? 1 : 0;
        }
        for (auto it = link.globalMatch(markdown); it.hasNext();)
            shape.links << it.next().captured(1);
        for (auto it = code.globalMatch(markdown); it.hasNext();)
            shape.codeSpans << it.next().captured(1);
        shape.links.sort();
        shape.codeSpans.sort();
        return shape;
    }
};

QString readResource(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

} // namespace

void TranslationsTest::runbooksTranslated_data()
{
    QTest::addColumn<QString>("language");
    QTest::addColumn<QString>("rule");
    const QStringList rules = QDir(QStringLiteral(":/runbooks")).entryList({QStringLiteral("*.md")}, QDir::Files);
    QVERIFY(rules.size() >= 10);
    for (const char *language : {"de", "ja"})
        for (const QString &file : rules)
            QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(QLatin1String(language), file))) << QString::fromLatin1(language)
                                                                                                 << QFileInfo(file).completeBaseName();
}

// Every runbook exists in German and Japanese with the English one's outline, links and code.
void TranslationsTest::runbooksTranslated()
{
    QFETCH(QString, language);
    QFETCH(QString, rule);
    const QString english = readResource(QStringLiteral(":/runbooks/%1.md").arg(rule));
    const QString translated = readResource(QStringLiteral(":/runbooks/%1/%2.md").arg(language, rule));
    QVERIFY2(!translated.isEmpty(), qPrintable(QStringLiteral("resources/runbooks/%1/%2.md is missing").arg(language, rule)));
    QVERIFY(translated != english);
    const RunbookShape want = RunbookShape::of(english), got = RunbookShape::of(translated);
    QCOMPARE(got.headings, want.headings);
    QCOMPARE(got.blocks, want.blocks);
    QCOMPARE(got.bullets, want.bullets);
    QCOMPARE(got.numbered, want.numbered);
    QCOMPARE(got.links, want.links);
    QCOMPARE(got.codeSpans, want.codeSpans);
}

// The desktop shows a rule's runbook in the language installTranslations() chose.
void TranslationsTest::runbookFollowsTheLanguage()
{
    const QString english = readResource(QStringLiteral(":/runbooks/sink_down.md"));
    tally::installTranslations(QStringLiteral("ja_JP"));
    QCOMPARE(tally::consoleLanguage(), QStringLiteral("ja"));
    QCOMPARE(tally::runbookMarkdown(QStringLiteral("sink_down")), readResource(QStringLiteral(":/runbooks/ja/sink_down.md")));
    tally::installTranslations(QStringLiteral("de_DE"));
    QCOMPARE(tally::runbookMarkdown(QStringLiteral("sink_down")), readResource(QStringLiteral(":/runbooks/de/sink_down.md")));
    tally::installTranslations(QStringLiteral("en_US"));
    QCOMPARE(tally::consoleLanguage(), QStringLiteral("en"));
    QCOMPARE(tally::runbookMarkdown(QStringLiteral("sink_down")), english);
    QVERIFY(tally::runbookMarkdown(QStringLiteral("no_such_rule")).isEmpty());
}

QTEST_GUILESS_MAIN(TranslationsTest)
#include "tst_translations.moc"
