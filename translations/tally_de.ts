<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE" sourcelanguage="en">
<context>
    <name>QObject</name>
    <message>
        <source>%1/s</source>
        <translation>%1/s</translation>
    </message>
    <message>
        <source>end of input</source>
        <translation>Ende der Eingabe</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>not catching up</source>
        <translation>holt nicht auf</translation>
    </message>
    <message>
        <source>keeping up</source>
        <translation>hält Schritt</translation>
    </message>
    <message>
        <source>every window (input ended)</source>
        <translation>jedes Fenster (Eingabe beendet)</translation>
    </message>
    <message>
        <source>nothing stored yet</source>
        <translation>noch nichts gespeichert</translation>
    </message>
    <message>
        <source>%1 (%2 behind)</source>
        <translation>%1 (%2 zurück)</translation>
    </message>
    <message>
        <source>Kafka lag %1 + watermark %2 + firing %3 + sink %4</source>
        <translation>Kafka-Rückstand %1 + Watermark %2 + Auslösen %3 + Senke %4</translation>
    </message>
    <message>
        <source> (writing)</source>
        <translation> (schreibt)</translation>
    </message>
    <message>
        <source> (paused after errors, retrying)</source>
        <translation> (nach Fehlern pausiert, versucht es erneut)</translation>
    </message>
    <message>
        <source> (trying one write)</source>
        <translation> (versucht einen Schreibvorgang)</translation>
    </message>
    <message>
        <source>created</source>
        <translation>erstellt</translation>
    </message>
    <message>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>pausiert</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>beendet</translation>
    </message>
    <message>
        <source>Topic %1: %2 partitions, brokers %3.</source>
        <translation>Topic %1: %2 Partitionen, Broker %3.</translation>
    </message>
    <message>
        <source>Group %1: not described yet.</source>
        <translation>Gruppe %1: noch nicht beschrieben.</translation>
    </message>
    <message>
        <source>Group %1: %2, members: %3 (%4), coordinator broker %5.</source>
        <translation>Gruppe %1: %2, Mitglieder: %3 (%4), Koordinator-Broker %5.</translation>
    </message>
    <message>
        <source>Described at %1.</source>
        <translation>Stand %1.</translation>
    </message>
    <message>
        <source>The last description failed: %1 (the figures are older).</source>
        <translation>Die letzte Abfrage schlug fehl: %1 (die Werte sind älter).</translation>
    </message>
    <message>
        <source>This job reads the first %1; a restart reads the others.</source>
        <translation>Dieser Job liest die ersten %1; ein Neustart liest die übrigen.</translation>
    </message>
    <message>
        <source>the CPU cores</source>
        <translation>die CPU-Kerne</translation>
    </message>
    <message>
        <source>about %1 records/s, limited by %2</source>
        <translation>etwa %1 Datensätze/s, begrenzt durch %2</translation>
    </message>
    <message>
        <source>about %1 records/s (%2 times the input), limited by %3</source>
        <translation>etwa %1 Datensätze/s (%2-mal der Eingang), begrenzt durch %3</translation>
    </message>
    <message>
        <source>keeps up</source>
        <translation>hält mit</translation>
    </message>
    <message>
        <source>lag peaks at %1 records and is never cleared at the current input</source>
        <translation>Rückstand erreicht %1 Datensätze und wird beim jetzigen Eingang nie abgebaut</translation>
    </message>
    <message>
        <source>lag peaks at %1 records, cleared %2 after the burst</source>
        <translation>Rückstand erreicht %1 Datensätze, abgebaut %2 nach dem Ansturm</translation>
    </message>
    <message>
        <source>measuring (needs more input)</source>
        <translation>wird gemessen (braucht mehr Eingang)</translation>
    </message>
</context>
<context>
    <name>tally::ActionCatalogue</name>
    <message>
        <source>&amp;Pause source</source>
        <translation>Quelle &amp;pausieren</translation>
    </message>
    <message>
        <source>Stops reading input until the source is resumed; what was read is still counted and written.</source>
        <translation>Liest keine Eingaben mehr, bis die Quelle fortgesetzt wird; was schon gelesen wurde, wird weiter gezählt und geschrieben.</translation>
    </message>
    <message>
        <source>&amp;Resume source</source>
        <translation>Quelle &amp;fortsetzen</translation>
    </message>
    <message>
        <source>Reads input again after a pause.</source>
        <translation>Liest nach einer Pause wieder Eingaben.</translation>
    </message>
    <message>
        <source>&amp;Drain sink</source>
        <translation>Sink &amp;entleeren</translation>
    </message>
    <message>
        <source>Writes every pending result, then holds new ones until sink writes are resumed.</source>
        <translation>Schreibt alle ausstehenden Ergebnisse und hält dann neue zurück, bis das Sink-Schreiben wieder aufgenommen wird.</translation>
    </message>
    <message>
        <source>Drain the sink now? Everything pending is written, then new results are held until you resume writes.</source>
        <translation>Den Sink jetzt entleeren? Alles Ausstehende wird geschrieben, danach werden neue Ergebnisse zurückgehalten, bis Sie das Schreiben wieder aufnehmen.</translation>
    </message>
    <message>
        <source>Resume sink &amp;writes</source>
        <translation>Sink-Schreiben &amp;wieder aufnehmen</translation>
    </message>
    <message>
        <source>Writes the held results and every new one again after a drain.</source>
        <translation>Schreibt nach dem Entleeren die zurückgehaltenen und alle neuen Ergebnisse wieder.</translation>
    </message>
    <message>
        <source>Di&amp;vert sink to local buffer</source>
        <translation>Sink in lokalen Puffer &amp;umleiten</translation>
    </message>
    <message>
        <source>While the database is unreachable, spills results to the local buffer (output.divert_path) instead of holding them in memory.</source>
        <translation>Lagert Ergebnisse in den lokalen Puffer (output.divert_path) aus, solange die Datenbank nicht erreichbar ist, statt sie im Speicher zu halten.</translation>
    </message>
    <message>
        <source>Divert the sink to the local buffer now? Results are spilled to disk while the database is down and replayed later.</source>
        <translation>Den Sink jetzt in den lokalen Puffer umleiten? Solange die Datenbank ausgefallen ist, werden Ergebnisse auf die Festplatte ausgelagert und später nachgespielt.</translation>
    </message>
    <message>
        <source>Stop diverting</source>
        <translation>Umleitung beenden</translation>
    </message>
    <message>
        <source>Holds results in memory again during an outage; the local buffer still replays.</source>
        <translation>Hält Ergebnisse bei einem Ausfall wieder im Speicher; der lokale Puffer wird weiterhin nachgespielt.</translation>
    </message>
    <message>
        <source>Trigger &amp;savepoint</source>
        <translation>&amp;Savepoint auslösen</translation>
    </message>
    <message>
        <source>Writes a savepoint into checkpoint.savepoint_dir; the job keeps running.</source>
        <translation>Schreibt einen Savepoint nach checkpoint.savepoint_dir; der Job läuft weiter.</translation>
    </message>
    <message>
        <source>S&amp;top with savepoint</source>
        <translation>Mi&amp;t Savepoint stoppen</translation>
    </message>
    <message>
        <source>Writes a savepoint, then stops the job; Tally can continue from it (--restore).</source>
        <translation>Schreibt einen Savepoint und stoppt dann den Job; Tally kann daraus weitermachen (--restore).</translation>
    </message>
    <message>
        <source>Stop the job with a savepoint now? Counting stops until Tally is started again from the savepoint.</source>
        <translation>Den Job jetzt mit einem Savepoint stoppen? Das Zählen ruht, bis Tally aus dem Savepoint neu gestartet wird.</translation>
    </message>
    <message>
        <source>Resc&amp;ale</source>
        <translation>Neu s&amp;kalieren</translation>
    </message>
    <message>
        <source>Stops the job with a savepoint and continues from it in this process with another number of window tasks.</source>
        <translation>Stoppt den Job mit einem Savepoint und setzt ihn in diesem Prozess mit einer anderen Anzahl von Fenster-Tasks daraus fort.</translation>
    </message>
    <message>
        <source>Rescale now? The job stops with a savepoint and continues from it at the new parallelism.</source>
        <translation>Jetzt neu skalieren? Der Job stoppt mit einem Savepoint und läuft daraus mit der neuen Parallelität weiter.</translation>
    </message>
    <message>
        <source>Window tasks (parallelism)</source>
        <translation>Fenster-Tasks (Parallelität)</translation>
    </message>
    <message>
        <source>%1 takes no parameter &quot;%2&quot;</source>
        <translation>%1 hat keinen Parameter „%2“</translation>
    </message>
    <message>
        <source>%1 needs the parameter &quot;%2&quot;</source>
        <translation>%1 braucht den Parameter „%2“</translation>
    </message>
    <message>
        <source>%1 must be an integer from %2 to %3</source>
        <translation>%1 muss eine ganze Zahl von %2 bis %3 sein</translation>
    </message>
    <message>
        <source>Rest&amp;ore</source>
        <translation>Wieder&amp;herstellen</translation>
    </message>
    <message>
        <source>Stops the job with a savepoint and continues in this process from a checkpoint or savepoint on disk.</source>
        <translation>Stoppt den Job mit einem Savepoint und setzt ihn in diesem Prozess aus einem Checkpoint oder Savepoint auf der Festplatte fort.</translation>
    </message>
    <message>
        <source>Restore now? The job stops with a savepoint and continues from the chosen file; what came after it is counted again.</source>
        <translation>Jetzt wiederherstellen? Der Job stoppt mit einem Savepoint und setzt aus der gewählten Datei fort; was danach kam, wird erneut gezählt.</translation>
    </message>
    <message>
        <source>Checkpoint or savepoint</source>
        <translation>Checkpoint oder Savepoint</translation>
    </message>
    <message>
        <source>%1 must be the path of a checkpoint or savepoint</source>
        <translation>%1 muss der Pfad eines Checkpoints oder Savepoints sein</translation>
    </message>
</context>
<context>
    <name>tally::AlertModel</name>
    <message>
        <source>Checkpoint duration above 80% of the interval</source>
        <translation>Checkpoint-Dauer über 80 % des Intervalls</translation>
    </message>
    <message>
        <source>% of interval</source>
        <translation>% des Intervalls</translation>
    </message>
    <message>
        <source>Consumer lag above twice the watermark bound</source>
        <translation>Consumer-Lag über dem Doppelten der Watermark-Grenze</translation>
    </message>
    <message>
        <source>x bound</source>
        <translation>x Grenze</translation>
    </message>
    <message>
        <source>Sink write latency p99 above 5x its baseline</source>
        <translation>Sink-Schreiblatenz p99 über dem 5-Fachen der Baseline</translation>
    </message>
    <message>
        <source>x baseline</source>
        <translation>x Baseline</translation>
    </message>
    <message>
        <source>Sustained backpressure</source>
        <translation>Anhaltende Backpressure</translation>
    </message>
    <message>
        <source>% of time</source>
        <translation>% der Zeit</translation>
    </message>
    <message>
        <source>One partition takes most of the traffic</source>
        <translation>Eine Partition erhält den Großteil des Traffics</translation>
    </message>
    <message>
        <source>% of records</source>
        <translation>% der Datensätze</translation>
    </message>
    <message>
        <source>Dead-letter rate over the threshold</source>
        <translation>Dead-Letter-Rate über dem Schwellenwert</translation>
    </message>
    <message>
        <source>Late-drop rate over the threshold</source>
        <translation>Rate verworfener verspäteter Events über dem Schwellenwert</translation>
    </message>
    <message>
        <source>% of events</source>
        <translation>% der Events</translation>
    </message>
    <message>
        <source>active</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>behoben</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>Alarm</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Fired</source>
        <translation>Ausgelöst</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>Behoben</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>Schwellenwert</translation>
    </message>
    <message>
        <source>Sink down: writes to the database fail</source>
        <translation>Senke ausgefallen: Schreiben in die Datenbank schlägt fehl</translation>
    </message>
    <message>
        <source>s failing</source>
        <translation>s fehlerhaft</translation>
    </message>
    <message>
        <source>The job failed and stopped</source>
        <translation>Der Job ist fehlgeschlagen und angehalten</translation>
    </message>
    <message>
        <source>s stopped</source>
        <translation>s angehalten</translation>
    </message>
    <message>
        <source>No completed checkpoint for several intervals</source>
        <translation>Seit mehreren Intervallen kein abgeschlossener Checkpoint</translation>
    </message>
    <message>
        <source>intervals</source>
        <translation>Intervalle</translation>
    </message>
    <message>
        <source>Output stalled while input flows</source>
        <translation>Ausgabe steht, während Eingaben fließen</translation>
    </message>
    <message>
        <source>s without a commit</source>
        <translation>s ohne Commit</translation>
    </message>
    <message>
        <source>Kafka broker unreachable</source>
        <translation>Kafka-Broker nicht erreichbar</translation>
    </message>
    <message>
        <source>s unreachable</source>
        <translation>s nicht erreichbar</translation>
    </message>
    <message>
        <source>Database behind: stored results older than the bound</source>
        <translation>Datenbank im Rückstand: gespeicherte Ergebnisse älter als die Grenze</translation>
    </message>
    <message>
        <source>s behind</source>
        <translation>s zurück</translation>
    </message>
    <message>
        <source>Consumer stalled: committed offsets stopped while lag grows</source>
        <translation>Consumer steht: bestätigte Offsets bewegen sich nicht, während der Rückstand wächst</translation>
    </message>
    <message>
        <source>partitions</source>
        <translation>Partitionen</translation>
    </message>
    <message>
        <source>Rebalance storm: the consumer group keeps rebalancing</source>
        <translation>Rebalance-Sturm: die Consumer-Gruppe verteilt ständig neu</translation>
    </message>
    <message>
        <source>rebalances in 5 min</source>
        <translation>Rebalances in 5 min</translation>
    </message>
    <message>
        <source>Memory above its share of the limit</source>
        <translation>Speicher über seinem Anteil am Limit</translation>
    </message>
    <message>
        <source>% of limit</source>
        <translation>% des Limits</translation>
    </message>
    <message>
        <source>Free disk space low where the job writes</source>
        <translation>Wenig freier Plattenplatz, wo der Job schreibt</translation>
    </message>
    <message>
        <source>% free</source>
        <translation>% frei</translation>
    </message>
    <message>
        <source>Kafka partitions without a leader or under-replicated</source>
        <translation>Kafka-Partitionen ohne Leader oder unterrepliziert</translation>
    </message>
</context>
<context>
    <name>tally::AlertsPage</name>
    <message>
        <source>Alerts &amp; runbooks</source>
        <translation>Alarme &amp; Runbooks</translation>
    </message>
    <message>
        <source>No runbook for %1.</source>
        <translation>Kein Runbook für %1.</translation>
    </message>
    <message>
        <source>Rules (thresholds apply at once, are kept and audited)</source>
        <translation>Regeln (Schwellen gelten sofort, bleiben erhalten und werden protokolliert)</translation>
    </message>
</context>
<context>
    <name>tally::AuditModel</name>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Herkunft</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Parameter</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>Details</translation>
    </message>
</context>
<context>
    <name>tally::AuditPage</name>
    <message>
        <source>Every operator action, from this window, the web console or the API, with its outcome. Stored in %1.</source>
        <translation>Jede Operator-Aktion aus diesem Fenster, der Webkonsole oder der API, mit ihrem Ergebnis. Gespeichert in %1.</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>Audit-Log</translation>
    </message>
</context>
<context>
    <name>tally::BackpressurePage</name>
    <message>
        <source>Backpressured: time an operator waited for a full queue downstream. The slowest operator is the first busy one after a backpressured chain.</source>
        <translation>Backpressure: Zeit, die ein Operator auf eine volle Queue stromabwärts gewartet hat. Der langsamste Operator ist der erste ausgelastete nach einer Kette unter Backpressure.</translation>
    </message>
    <message>
        <source>Backpressure</source>
        <translation>Backpressure</translation>
    </message>
    <message>
        <source>Backpressured time per operator</source>
        <translation>Backpressure-Zeit je Operator</translation>
    </message>
    <message>
        <source>% of time</source>
        <translation>% der Zeit</translation>
    </message>
</context>
<context>
    <name>tally::CheckpointModel</name>
    <message>
        <source>Id</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Triggered</source>
        <translation>Ausgelöst</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <source>Alignment</source>
        <translation>Alignment</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>This job takes no checkpoints (checkpoint.enabled is false): after a crash it starts again from the source. Savepoints work without them: take one from the toolbar, stop with one, or rescale; tally --restore FILE continues from one.</source>
        <translation>Dieser Job legt keine Checkpoints an (checkpoint.enabled ist false): Nach einem Absturz beginnt er wieder bei der Quelle. Savepoints funktionieren auch ohne: einen über die Werkzeugleiste anlegen, mit einem stoppen oder neu skalieren; tally --restore DATEI setzt bei einem fort.</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>completed</source>
        <translation>abgeschlossen</translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation>fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>Synchron</translation>
    </message>
    <message>
        <source>Async</source>
        <translation>Asynchron</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>Written</source>
        <translation>Geschrieben</translation>
    </message>
    <message>
        <source>State size</source>
        <translation>Zustandsgröße</translation>
    </message>
    <message>
        <source>Shared files</source>
        <translation>Geteilte Dateien</translation>
    </message>
    <message>
        <source>incremental</source>
        <translation>inkrementell</translation>
    </message>
    <message>
        <source>full</source>
        <translation>vollständig</translation>
    </message>
</context>
<context>
    <name>tally::CheckpointsPage</name>
    <message>
        <source>Checkpoint duration</source>
        <translation>Checkpoint-Dauer</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>80% of the interval</source>
        <translation>80 % des Intervalls</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>Checkpoints</translation>
    </message>
    <message>
        <source>duration (max per second)</source>
        <translation>Dauer (Maximum je Sekunde)</translation>
    </message>
    <message>
        <source>Checkpoints and savepoints on disk</source>
        <translation>Checkpoints und Savepoints auf der Festplatte</translation>
    </message>
    <message>
        <source>Pick one to see the command that continues from it (with the options this job was started with).</source>
        <translation>Wählen Sie einen, um den Befehl zu sehen, der von dort fortsetzt (mit den Optionen, mit denen dieser Job gestartet wurde).</translation>
    </message>
</context>
<context>
    <name>tally::DeadLetterModel</name>
    <message>
        <source>Received</source>
        <translation>Empfangen</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Grund</translation>
    </message>
    <message>
        <source>Partition</source>
        <translation>Partition</translation>
    </message>
    <message>
        <source>Offset</source>
        <translation>Offset</translation>
    </message>
    <message>
        <source>Bytes</source>
        <translation>Bytes</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>Detail</translation>
    </message>
</context>
<context>
    <name>tally::DeadLettersPage</name>
    <message>
        <source>All reasons</source>
        <translation>Alle Gründe</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>Grund:</translation>
    </message>
    <message>
        <source>Pick a record to see its bytes.</source>
        <translation>Wählen Sie einen Datensatz, um seine Bytes zu sehen.</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <source>Hex</source>
        <translation>Hex</translation>
    </message>
    <message>
        <source>Dead letters</source>
        <translation>Dead Letters</translation>
    </message>
    <message>
        <source>No dead letters in this run.</source>
        <translation>Keine Dead Letters in diesem Lauf.</translation>
    </message>
    <message>
        <source>%1 dead letters in this run: %2</source>
        <translation>%1 Dead Letters in diesem Lauf: %2</translation>
    </message>
    <message>
        <source>%1 from partition %2, offset %3, %4 bytes: %5</source>
        <translation>%1 aus Partition %2, Offset %3, %4 Bytes: %5</translation>
    </message>
    <message>
        <source>(the first %1 bytes shown)</source>
        <translation>(die ersten %1 Bytes angezeigt)</translation>
    </message>
    <message>
        <source>Records that could not be decoded, newest first: the last %1 of this run. The sink keeps every one (its dead_letters table, or the dead-letter topic with Kafka); &quot;Stored&quot; reads the SQLite sink&apos;s table, every run&apos;s.</source>
        <translation>Datensätze, die nicht dekodiert werden konnten, die neuesten zuerst: die letzten %1 dieses Laufs. Die Senke bewahrt jeden auf (ihre Tabelle dead_letters oder, mit Kafka, das Dead-Letter-Topic); „Gespeichert“ liest die Tabelle der SQLite-Senke, die aller Läufe.</translation>
    </message>
    <message>
        <source>This run</source>
        <translation>Dieser Lauf</translation>
    </message>
    <message>
        <source>Stored (every run)</source>
        <translation>Gespeichert (alle Läufe)</translation>
    </message>
    <message>
        <source>No stored dead letters to show: %1</source>
        <translation>Keine gespeicherten Dead Letters anzuzeigen: %1</translation>
    </message>
    <message>
        <source>The newest %1 stored dead letters (the read stopped after half a second: older ones are not shown).</source>
        <translation>Die neuesten %1 gespeicherten Dead Letters (das Lesen endete nach einer halben Sekunde: ältere werden nicht angezeigt).</translation>
    </message>
    <message>
        <source>No stored dead letters.</source>
        <translation>Keine gespeicherten Dead Letters.</translation>
    </message>
    <message>
        <source>The newest %1 stored dead letters, every run&apos;s.</source>
        <translation>Die neuesten %1 gespeicherten Dead Letters aller Läufe.</translation>
    </message>
</context>
<context>
    <name>tally::EngineHost</name>
    <message>
        <source>The job has stopped.</source>
        <translation>Der Job wurde gestoppt.</translation>
    </message>
    <message>
        <source>The source is already paused.</source>
        <translation>Die Quelle ist bereits pausiert.</translation>
    </message>
    <message>
        <source>The source is not paused.</source>
        <translation>Die Quelle ist nicht pausiert.</translation>
    </message>
    <message>
        <source>The job has no sink (output.type is &quot;none&quot;).</source>
        <translation>Der Job hat keinen Sink (output.type ist &quot;none&quot;).</translation>
    </message>
    <message>
        <source>The sink is not holding writes.</source>
        <translation>Der Sink hält keine Schreibvorgänge zurück.</translation>
    </message>
    <message>
        <source>No divert buffer is configured (set output.divert_path).</source>
        <translation>Kein Umleitungspuffer konfiguriert (output.divert_path setzen).</translation>
    </message>
    <message>
        <source>%1 is not a checkpoint or savepoint in this job&apos;s folders (checkpoint.dir, checkpoint.savepoint_dir)</source>
        <translation>%1 ist kein Checkpoint oder Savepoint in den Ordnern dieses Jobs (checkpoint.dir, checkpoint.savepoint_dir)</translation>
    </message>
    <message>
        <source>A rescale or restore is already running.</source>
        <translation>Eine Neuskalierung oder Wiederherstellung läuft bereits.</translation>
    </message>
</context>
<context>
    <name>tally::KafkaMemberModel</name>
    <message>
        <source>Member</source>
        <translation>Mitglied</translation>
    </message>
    <message>
        <source>Client</source>
        <translation>Client</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Host</translation>
    </message>
    <message>
        <source>Instance</source>
        <translation>Instanz</translation>
    </message>
    <message>
        <source>Partitions</source>
        <translation>Partitionen</translation>
    </message>
    <message>
        <source>%1 (this process)</source>
        <translation>%1 (dieser Prozess)</translation>
    </message>
</context>
<context>
    <name>tally::KafkaPage</name>
    <message>
        <source>Partitions</source>
        <translation>Partitionen</translation>
    </message>
    <message>
        <source>Consumer group members</source>
        <translation>Mitglieder der Consumer-Gruppe</translation>
    </message>
    <message>
        <source>Kafka</source>
        <translation>Kafka</translation>
    </message>
    <message>
        <source>The source is the built-in generator: there is no topic or consumer group to show. With [source] type = &quot;kafka&quot;, this page shows the topic&apos;s partitions and the group&apos;s members as the broker describes them.</source>
        <translation>Die Quelle ist der eingebaute Generator: Es gibt kein Topic und keine Consumer-Gruppe. Mit [source] type = &quot;kafka&quot; zeigt diese Seite die Partitionen des Topics und die Mitglieder der Gruppe, wie der Broker sie beschreibt.</translation>
    </message>
    <message>
        <source>No consumer reads the topic now (the job is starting or being replaced).</source>
        <translation>Gerade liest kein Consumer das Topic (der Job startet oder wird ersetzt).</translation>
    </message>
</context>
<context>
    <name>tally::KafkaPartitionModel</name>
    <message>
        <source>Partition</source>
        <translation>Partition</translation>
    </message>
    <message>
        <source>Leader</source>
        <translation>Leader</translation>
    </message>
    <message>
        <source>Replicas</source>
        <translation>Replikate</translation>
    </message>
    <message>
        <source>In sync</source>
        <translation>In Sync</translation>
    </message>
    <message>
        <source>Log start</source>
        <translation>Log-Anfang</translation>
    </message>
    <message>
        <source>Log end</source>
        <translation>Log-Ende</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>Datensätze</translation>
    </message>
    <message>
        <source>Group offset</source>
        <translation>Gruppen-Offset</translation>
    </message>
    <message>
        <source>Group lag</source>
        <translation>Gruppen-Rückstand</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>Besitzer</translation>
    </message>
    <message>
        <source>%1 (this process)</source>
        <translation>%1 (dieser Prozess)</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <source>No leader: nobody serves this partition</source>
        <translation>Kein Leader: niemand bedient diese Partition</translation>
    </message>
    <message>
        <source>Under-replicated: fewer in-sync replicas than replicas</source>
        <translation>Unterrepliziert: weniger synchrone Replikate als Replikate</translation>
    </message>
    <message>
        <source>No member of the group is assigned this partition</source>
        <translation>Kein Mitglied der Gruppe hat diese Partition zugewiesen</translation>
    </message>
</context>
<context>
    <name>tally::LagPage</name>
    <message>
        <source>Consumer lag per partition</source>
        <translation>Consumer-Lag pro Partition</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>Sekunden</translation>
    </message>
    <message>
        <source>partition %1</source>
        <translation>Partition %1</translation>
    </message>
    <message>
        <source>Records per partition</source>
        <translation>Datensätze pro Partition</translation>
    </message>
    <message>
        <source>records/s</source>
        <translation>Datensätze/s</translation>
    </message>
    <message>
        <source>Consumer lag</source>
        <translation>Consumer-Lag</translation>
    </message>
    <message>
        <source>The built-in generator has no consumer lag: records are produced on demand. Records per partition show where the traffic goes.</source>
        <translation>Der eingebaute Generator hat keinen Consumer-Lag: Datensätze werden bei Bedarf erzeugt. Die Datensätze pro Partition zeigen, wohin der Traffic geht.</translation>
    </message>
    <message>
        <source>no consumer lag: the source is the built-in generator</source>
        <translation>kein Consumer-Lag: Die Quelle ist der eingebaute Generator</translation>
    </message>
    <message>
        <source>Largest lag %1; time to catch up at the current rates: %2</source>
        <translation>Größter Lag %1; Zeit bis zum Aufholen bei den aktuellen Raten: %2</translation>
    </message>
</context>
<context>
    <name>tally::MainWindow</name>
    <message>
        <source>Tally — like-counting pipeline</source>
        <translation>Tally — Pipeline zum Zählen von Likes</translation>
    </message>
    <message>
        <source>The job has finished.</source>
        <translation>Der Job ist beendet.</translation>
    </message>
    <message>
        <source>&amp;Actions</source>
        <translation>A&amp;ktionen</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>Aktionen</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Dark theme</source>
        <translation>&amp;Dunkles Design</translation>
    </message>
    <message>
        <source>&amp;Language…</source>
        <translation>&amp;Sprache…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;About Tally</source>
        <translation>Ü&amp;ber Tally</translation>
    </message>
    <message>
        <source>About Tally</source>
        <translation>Über Tally</translation>
    </message>
    <message>
        <source>&lt;b&gt;Tally&lt;/b&gt; %1&lt;br&gt;Counts likes in real time: event-time windows with watermarks, from Kafka or the built-in generator into SQLite or PostgreSQL.</source>
        <translation>&lt;b&gt;Tally&lt;/b&gt; %1&lt;br&gt;Zählt Likes in Echtzeit: Event-Time-Fenster mit Watermarks, aus Kafka oder dem eingebauten Generator nach SQLite oder PostgreSQL.</translation>
    </message>
    <message>
        <source>%1: running…</source>
        <translation>%1: läuft…</translation>
    </message>
    <message>
        <source>%1: done</source>
        <translation>%1: erledigt</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 fehlgeschlagen: %2</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Systemstandard</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <source>Language (applies after a restart):</source>
        <translation>Sprache (gilt nach einem Neustart):</translation>
    </message>
    <message>
        <source>The language changes when Tally starts next.</source>
        <translation>Die Sprache wechselt beim nächsten Start von Tally.</translation>
    </message>
    <message>
        <source>%1:</source>
        <translation>%1:</translation>
    </message>
    <message>
        <source>%1 | %2 | database up to date to %3 | alerts firing: %4</source>
        <translation>%1 | %2 | Datenbank aktuell bis %3 | aktive Alarme: %4</translation>
    </message>
    <message>
        <source>No checkpoint or savepoint on disk to restore from.</source>
        <translation>Kein Checkpoint oder Savepoint auf der Festplatte, aus dem wiederhergestellt werden kann.</translation>
    </message>
    <message>
        <source>%1: done, verified: %2</source>
        <translation>%1: erledigt, bestätigt: %2</translation>
    </message>
    <message>
        <source>%1: done, not verified: %2</source>
        <translation>%1: erledigt, nicht bestätigt: %2</translation>
    </message>
    <message>
        <source>Checked first: %1</source>
        <translation>Vorher geprüft: %1</translation>
    </message>
</context>
<context>
    <name>tally::OperatorGraph</name>
    <message>
        <source>sink: %1</source>
        <translation>Sink: %1</translation>
    </message>
    <message>
        <source>%1
%2 busy, %3 bp</source>
        <translation>%1
%2 ausgelastet, %3 BP</translation>
    </message>
</context>
<context>
    <name>tally::OperatorModel</name>
    <message>
        <source>Operator</source>
        <translation>Operator</translation>
    </message>
    <message>
        <source>Busy</source>
        <translation>Ausgelastet</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>Leerlauf</translation>
    </message>
    <message>
        <source>Backpressured</source>
        <translation>Backpressure</translation>
    </message>
    <message>
        <source>Blocked by a full downstream queue most of the time</source>
        <translation>Meist durch eine volle Queue stromabwärts blockiert</translation>
    </message>
    <message>
        <source>Busy most of the time: a likely bottleneck</source>
        <translation>Meist ausgelastet: wahrscheinlich ein Engpass</translation>
    </message>
    <message>
        <source>Records in</source>
        <translation>Datensätze ein</translation>
    </message>
    <message>
        <source>Records out</source>
        <translation>Datensätze aus</translation>
    </message>
</context>
<context>
    <name>tally::OverviewModel</name>
    <message>
        <source>Figure</source>
        <translation>Kennzahl</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Throughput in</source>
        <translation>Durchsatz eingehend</translation>
    </message>
    <message>
        <source>Like events decoded per second</source>
        <translation>Dekodierte Like-Events pro Sekunde</translation>
    </message>
    <message>
        <source>Throughput out</source>
        <translation>Durchsatz ausgehend</translation>
    </message>
    <message>
        <source>Window results per second</source>
        <translation>Fensterergebnisse pro Sekunde</translation>
    </message>
    <message>
        <source>Likes counted up to</source>
        <translation>Likes gezählt bis</translation>
    </message>
    <message>
        <source>The job watermark: windows ending before it have fired</source>
        <translation>Das Job-Watermark: Fenster, die davor enden, wurden ausgelöst</translation>
    </message>
    <message>
        <source>Consumer lag</source>
        <translation>Consumer-Lag</translation>
    </message>
    <message>
        <source>none (built-in generator)</source>
        <translation>keiner (eingebauter Generator)</translation>
    </message>
    <message>
        <source>Watermark skew</source>
        <translation>Watermark-Versatz</translation>
    </message>
    <message>
        <source>, holding writes (drained)</source>
        <translation>, Schreibvorgänge angehalten (entleert)</translation>
    </message>
    <message>
        <source>, %1 rows diverted</source>
        <translation>, %1 Zeilen umgeleitet</translation>
    </message>
    <message>
        <source>Sink</source>
        <translation>Sink</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <source>Active alerts</source>
        <translation>Aktive Alarme</translation>
    </message>
    <message>
        <source>Job state</source>
        <translation>Job-Status</translation>
    </message>
    <message>
        <source>Last savepoint</source>
        <translation>Letzter Savepoint</translation>
    </message>
    <message>
        <source>none yet</source>
        <translation>noch keiner</translation>
    </message>
    <message>
        <source>Last checkpoint</source>
        <translation>Letzter Checkpoint</translation>
    </message>
    <message>
        <source>epoch %1, %2 ago, took %3</source>
        <translation>Epoche %1, vor %2, Dauer %3</translation>
    </message>
    <message>
        <source>off (checkpoint.enabled)</source>
        <translation>aus (checkpoint.enabled)</translation>
    </message>
    <message>
        <source>Database up to date to</source>
        <translation>Datenbank aktuell bis</translation>
    </message>
    <message>
        <source>Every window ending before it has its rows in the database</source>
        <translation>Jedes Fenster, das davor endet, hat seine Zeilen in der Datenbank</translation>
    </message>
    <message>
        <source>Behind by</source>
        <translation>Rückstand durch</translation>
    </message>
    <message>
        <source>Where the delay goes: records waiting in Kafka, the watermark&apos;s out-of-orderness bound, fired windows waiting for their epoch to close, rows waiting in the sink</source>
        <translation>Wohin die Verzögerung geht: Datensätze, die in Kafka warten, die Unordnungsgrenze des Watermarks, ausgelöste Fenster, die auf das Ende ihrer Epoche warten, Zeilen, die in der Senke warten</translation>
    </message>
    <message>
        <source>Restoring</source>
        <translation>Wiederherstellung</translation>
    </message>
    <message>
        <source>from %1: %2 of %3 window tasks loaded, %4 so far</source>
        <translation>aus %1: %2 von %3 Fenster-Tasks geladen, bisher %4</translation>
    </message>
    <message>
        <source>The window tasks are loading the state they continue from; results wait until they have</source>
        <translation>Die Fenster-Tasks laden den Zustand, mit dem sie fortsetzen; Ergebnisse warten, bis sie fertig sind</translation>
    </message>
    <message>
        <source>Capacity</source>
        <translation>Kapazität</translation>
    </message>
    <message>
        <source>A 500K/s burst for 1 min</source>
        <translation>Ein Ansturm von 500K/s für 1 min</translation>
    </message>
    <message>
        <source>What a celebrity post&apos;s burst of 500,000 records/s for a minute would do to the lag</source>
        <translation>Was der Ansturm eines Promi-Beitrags von 500.000 Datensätzen/s für eine Minute mit dem Rückstand machte</translation>
    </message>
    <message>
        <source>The highest input rate this machine sustains at this parallelism, from each operator&apos;s CPU time per record (a low load under-estimates it)</source>
        <translation>Die höchste Eingangsrate, die diese Maschine bei dieser Parallelität durchhält, aus der CPU-Zeit jedes Operators pro Datensatz (bei geringer Last unterschätzt)</translation>
    </message>
</context>
<context>
    <name>tally::OverviewPage</name>
    <message>
        <source>Source: %1  →  Sink: %2</source>
        <translation>Quelle: %1  →  Sink: %2</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Durchsatz</translation>
    </message>
    <message>
        <source>per second</source>
        <translation>pro Sekunde</translation>
    </message>
    <message>
        <source>events in</source>
        <translation>Events ein</translation>
    </message>
    <message>
        <source>rows out</source>
        <translation>Zeilen aus</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>Alarme</translation>
    </message>
    <message>
        <source>Overview</source>
        <translation>Übersicht</translation>
    </message>
</context>
<context>
    <name>tally::PartitionModel</name>
    <message>
        <source>Partition</source>
        <translation>Partition</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>Datensätze</translation>
    </message>
    <message>
        <source>Records/s</source>
        <translation>Datensätze/s</translation>
    </message>
    <message>
        <source>Watermark</source>
        <translation>Watermark</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>Inaktiv</translation>
    </message>
    <message>
        <source>Lag (records)</source>
        <translation>Lag (Datensätze)</translation>
    </message>
    <message>
        <source>Lag (s)</source>
        <translation>Lag (s)</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>inaktiv</translation>
    </message>
    <message>
        <source>Hot partition: %1 of recent records</source>
        <translation>Hot-Partition: %1 der jüngsten Datensätze</translation>
    </message>
    <message>
        <source>Holds the job watermark back</source>
        <translation>Hält das Job-Watermark zurück</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>%1: the group&apos;s committed offset over the last ten commits</source>
        <translation>%1: der bestätigte Offset der Gruppe über die letzten zehn Commits</translation>
    </message>
</context>
<context>
    <name>tally::RestorePointModel</name>
    <message>
        <source>savepoint</source>
        <translation>Savepoint</translation>
    </message>
    <message>
        <source>checkpoint (incremental)</source>
        <translation>Checkpoint (inkrementell)</translation>
    </message>
    <message>
        <source>checkpoint</source>
        <translation>Checkpoint</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>Epoche</translation>
    </message>
    <message>
        <source>Taken</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Datei</translation>
    </message>
</context>
<context>
    <name>tally::SinkModel</name>
    <message>
        <source>Figure</source>
        <translation>Kennzahl</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Sink</source>
        <translation>Sink</translation>
    </message>
    <message>
        <source>none (output.type is &quot;none&quot;)</source>
        <translation>keiner (output.type ist &quot;none&quot;)</translation>
    </message>
    <message>
        <source>Circuit</source>
        <translation>Circuit Breaker</translation>
    </message>
    <message>
        <source>Writes</source>
        <translation>Schreibvorgänge</translation>
    </message>
    <message>
        <source>held (drained)</source>
        <translation>angehalten (entleert)</translation>
    </message>
    <message>
        <source>flowing</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <source>Rows/s</source>
        <translation>Zeilen/s</translation>
    </message>
    <message>
        <source>Pending rows</source>
        <translation>Ausstehende Zeilen</translation>
    </message>
    <message>
        <source>Diverted rows</source>
        <translation>Umgeleitete Zeilen</translation>
    </message>
    <message>
        <source>Write latency p50</source>
        <translation>Schreiblatenz p50</translation>
    </message>
    <message>
        <source>Write latency p99</source>
        <translation>Schreiblatenz p99</translation>
    </message>
    <message>
        <source>Write latency max</source>
        <translation>Schreiblatenz max.</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>Wiederholungen</translation>
    </message>
    <message>
        <source>Transient errors</source>
        <translation>Vorübergehende Fehler</translation>
    </message>
    <message>
        <source>Rejected rows</source>
        <translation>Abgelehnte Zeilen</translation>
    </message>
    <message>
        <source>Last committed epoch</source>
        <translation>Zuletzt committete Epoche</translation>
    </message>
    <message>
        <source>Last window written</source>
        <translation>Zuletzt geschriebenes Fenster</translation>
    </message>
</context>
<context>
    <name>tally::SinksPage</name>
    <message>
        <source>Write latency</source>
        <translation>Schreiblatenz</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <source>p99</source>
        <translation>p99</translation>
    </message>
    <message>
        <source>Rows written and pending</source>
        <translation>Geschriebene und ausstehende Zeilen</translation>
    </message>
    <message>
        <source>rows</source>
        <translation>Zeilen</translation>
    </message>
    <message>
        <source>rows/s</source>
        <translation>Zeilen/s</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>ausstehend</translation>
    </message>
    <message>
        <source>diverted</source>
        <translation>umgeleitet</translation>
    </message>
    <message>
        <source>Sinks</source>
        <translation>Sinks</translation>
    </message>
</context>
<context>
    <name>tally::TimeSeriesChart</name>
    <message>
        <source>time</source>
        <translation>Zeit</translation>
    </message>
</context>
<context>
    <name>tally::WatchedPostModel</name>
    <message>
        <source>Window start</source>
        <translation>Fensterbeginn</translation>
    </message>
    <message>
        <source>Net likes</source>
        <translation>Netto-Likes</translation>
    </message>
</context>
<context>
    <name>tally::WatermarksPage</name>
    <message>
        <source>Partition watermarks behind the wall clock</source>
        <translation>Rückstand der Partition-Watermarks zur Systemuhr</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>Sekunden</translation>
    </message>
    <message>
        <source>partition %1</source>
        <translation>Partition %1</translation>
    </message>
    <message>
        <source>Watermark skew</source>
        <translation>Watermark-Versatz</translation>
    </message>
    <message>
        <source>skew (max - min)</source>
        <translation>Versatz (max - min)</translation>
    </message>
    <message>
        <source>out-of-orderness bound</source>
        <translation>Grenze für Out-of-Order-Events</translation>
    </message>
    <message>
        <source>Late and dropped events</source>
        <translation>Verspätete und verworfene Events</translation>
    </message>
    <message>
        <source>events/s</source>
        <translation>Events/s</translation>
    </message>
    <message>
        <source>late (window re-fired)</source>
        <translation>verspätet (Fenster erneut ausgelöst)</translation>
    </message>
    <message>
        <source>dropped (past allowed lateness)</source>
        <translation>verworfen (jenseits der erlaubten Verspätung)</translation>
    </message>
    <message>
        <source>Watermarks</source>
        <translation>Watermarks</translation>
    </message>
    <message>
        <source>Job watermark %1, skew %2. %3 Late so far: %4, dropped: %5.</source>
        <translation>Job-Watermark %1, Versatz %2. %3 Bisher verspätet: %4, verworfen: %5.</translation>
    </message>
    <message>
        <source>Partition %1 holds the watermark back.</source>
        <translation>Partition %1 hält das Watermark zurück.</translation>
    </message>
</context>
<context>
    <name>tally::WindowLeadersModel</name>
    <message>
        <source>Rank</source>
        <translation>Rang</translation>
    </message>
    <message>
        <source>Region</source>
        <translation>Region</translation>
    </message>
    <message>
        <source>Likes</source>
        <translation>Likes</translation>
    </message>
    <message>
        <source>Post</source>
        <translation>Beitrag</translation>
    </message>
    <message>
        <source>Likes in window</source>
        <translation>Likes im Fenster</translation>
    </message>
    <message>
        <source>Viral</source>
        <translation>Viral</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>no window has fired yet</source>
        <translation>noch kein Fenster ausgelöst</translation>
    </message>
    <message>
        <source>viral</source>
        <translation>viral</translation>
    </message>
</context>
<context>
    <name>tally::WindowsPage</name>
    <message>
        <source>Top posts now (likes_per_post)</source>
        <translation>Aktuelle Top-Beiträge (likes_per_post)</translation>
    </message>
    <message>
        <source>Likes by region</source>
        <translation>Likes nach Region</translation>
    </message>
    <message>
        <source>Velocity leaders (like_velocity)</source>
        <translation>Schnellste Beiträge (like_velocity)</translation>
    </message>
    <message>
        <source>Spam suspects</source>
        <translation>Spam-Verdächtige</translation>
    </message>
    <message>
        <source>Windows</source>
        <translation>Fenster</translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation>Fenster %1</translation>
    </message>
    <message>
        <source>Post %1, likes per window</source>
        <translation>Beitrag %1, Likes pro Fenster</translation>
    </message>
    <message>
        <source>Select a post</source>
        <translation>Beitrag auswählen</translation>
    </message>
    <message>
        <source>net likes</source>
        <translation>Netto-Likes</translation>
    </message>
    <message>
        <source>window start (event time)</source>
        <translation>Fensterbeginn (Ereigniszeit)</translation>
    </message>
</context>
</TS>
