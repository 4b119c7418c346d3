<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja_JP" sourcelanguage="en">
<context>
    <name>QObject</name>
    <message>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <source>end of input</source>
        <translation>入力の終端</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1秒</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1分%2秒</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1%</translation>
    </message>
    <message>
        <source>not catching up</source>
        <translation>追いついていない</translation>
    </message>
    <message>
        <source>keeping up</source>
        <translation>追従中</translation>
    </message>
    <message>
        <source>every window (input ended)</source>
        <translation>すべてのウィンドウ（入力終了）</translation>
    </message>
    <message>
        <source>nothing stored yet</source>
        <translation>まだ何も保存されていません</translation>
    </message>
    <message>
        <source>%1 (%2 behind)</source>
        <translation>%1（%2 遅れ）</translation>
    </message>
    <message>
        <source>Kafka lag %1 + watermark %2 + firing %3 + sink %4</source>
        <translation>Kafka ラグ %1 + ウォーターマーク %2 + 発火 %3 + シンク %4</translation>
    </message>
    <message>
        <source> (writing)</source>
        <translation>（書き込み中）</translation>
    </message>
    <message>
        <source> (paused after errors, retrying)</source>
        <translation>（エラーのため一時停止、再試行中）</translation>
    </message>
    <message>
        <source> (trying one write)</source>
        <translation>（1 回だけ書き込みを試行中）</translation>
    </message>
    <message>
        <source>created</source>
        <translation>作成済み</translation>
    </message>
    <message>
        <source>running</source>
        <translation>実行中</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>一時停止中</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>終了</translation>
    </message>
    <message>
        <source>Topic %1: %2 partitions, brokers %3.</source>
        <translation>トピック %1: パーティション %2 個、ブローカー %3。</translation>
    </message>
    <message>
        <source>Group %1: not described yet.</source>
        <translation>グループ %1: まだ取得していません。</translation>
    </message>
    <message>
        <source>Group %1: %2, members: %3 (%4), coordinator broker %5.</source>
        <translation>グループ %1: %2、メンバー %3 (%4)、コーディネーター ブローカー %5。</translation>
    </message>
    <message>
        <source>Described at %1.</source>
        <translation>取得時刻 %1。</translation>
    </message>
    <message>
        <source>The last description failed: %1 (the figures are older).</source>
        <translation>前回の取得に失敗しました: %1 (値は古いものです)。</translation>
    </message>
    <message>
        <source>This job reads the first %1; a restart reads the others.</source>
        <translation>このジョブは最初の %1 個を読みます。残りは再起動後に読みます。</translation>
    </message>
    <message>
        <source>the CPU cores</source>
        <translation>CPU コア</translation>
    </message>
    <message>
        <source>about %1 records/s, limited by %2</source>
        <translation>約 %1 レコード/秒（%2 が上限）</translation>
    </message>
    <message>
        <source>about %1 records/s (%2 times the input), limited by %3</source>
        <translation>約 %1 レコード/秒（入力の %2 倍、%3 が上限）</translation>
    </message>
    <message>
        <source>keeps up</source>
        <translation>追いつく</translation>
    </message>
    <message>
        <source>lag peaks at %1 records and is never cleared at the current input</source>
        <translation>ラグは最大 %1 レコード、現在の入力では解消しない</translation>
    </message>
    <message>
        <source>lag peaks at %1 records, cleared %2 after the burst</source>
        <translation>ラグは最大 %1 レコード、バースト後 %2 で解消</translation>
    </message>
    <message>
        <source>measuring (needs more input)</source>
        <translation>計測中（さらに入力が必要）</translation>
    </message>
</context>
<context>
    <name>tally::ActionCatalogue</name>
    <message>
        <source>&amp;Pause source</source>
        <translation>ソースを一時停止(&amp;P)</translation>
    </message>
    <message>
        <source>Stops reading input until the source is resumed; what was read is still counted and written.</source>
        <translation>ソースを再開するまで入力の読み取りを止めます。読み取り済みの分は引き続き集計され、書き込まれます。</translation>
    </message>
    <message>
        <source>&amp;Resume source</source>
        <translation>ソースを再開(&amp;R)</translation>
    </message>
    <message>
        <source>Reads input again after a pause.</source>
        <translation>一時停止の後、入力の読み取りを再開します。</translation>
    </message>
    <message>
        <source>&amp;Drain sink</source>
        <translation>シンクをドレイン(&amp;D)</translation>
    </message>
    <message>
        <source>Writes every pending result, then holds new ones until sink writes are resumed.</source>
        <translation>保留中の結果をすべて書き込み、その後はシンクへの書き込みを再開するまで新しい結果を保留します。</translation>
    </message>
    <message>
        <source>Drain the sink now? Everything pending is written, then new results are held until you resume writes.</source>
        <translation>今すぐシンクをドレインしますか？保留中の結果はすべて書き込まれ、その後は書き込みを再開するまで新しい結果が保留されます。</translation>
    </message>
    <message>
        <source>Resume sink &amp;writes</source>
        <translation>シンクへの書き込みを再開(&amp;W)</translation>
    </message>
    <message>
        <source>Writes the held results and every new one again after a drain.</source>
        <translation>ドレインの後、保留していた結果と新しい結果を再び書き込みます。</translation>
    </message>
    <message>
        <source>Di&amp;vert sink to local buffer</source>
        <translation>シンクをローカルバッファへ迂回(&amp;V)</translation>
    </message>
    <message>
        <source>While the database is unreachable, spills results to the local buffer (output.divert_path) instead of holding them in memory.</source>
        <translation>データベースに接続できない間、結果をメモリに保持せずローカルバッファ（output.divert_path）へ書き出します。</translation>
    </message>
    <message>
        <source>Divert the sink to the local buffer now? Results are spilled to disk while the database is down and replayed later.</source>
        <translation>今すぐシンクをローカルバッファへ迂回しますか？データベースの停止中は結果がディスクへ書き出され、後で再送されます。</translation>
    </message>
    <message>
        <source>Stop diverting</source>
        <translation>迂回を終了</translation>
    </message>
    <message>
        <source>Holds results in memory again during an outage; the local buffer still replays.</source>
        <translation>障害中は再び結果をメモリに保持します。ローカルバッファの再送は続きます。</translation>
    </message>
    <message>
        <source>Trigger &amp;savepoint</source>
        <translation>セーブポイントを取得(&amp;S)</translation>
    </message>
    <message>
        <source>Writes a savepoint into checkpoint.savepoint_dir; the job keeps running.</source>
        <translation>checkpoint.savepoint_dir にセーブポイントを書き込みます。ジョブは実行を続けます。</translation>
    </message>
    <message>
        <source>S&amp;top with savepoint</source>
        <translation>セーブポイントを取得して停止(&amp;T)</translation>
    </message>
    <message>
        <source>Writes a savepoint, then stops the job; Tally can continue from it (--restore).</source>
        <translation>セーブポイントを書き込んでからジョブを停止します。Tally はそこから再開できます（--restore）。</translation>
    </message>
    <message>
        <source>Stop the job with a savepoint now? Counting stops until Tally is started again from the savepoint.</source>
        <translation>今すぐセーブポイントを取得してジョブを停止しますか？Tally をセーブポイントから再起動するまで集計は止まります。</translation>
    </message>
    <message>
        <source>Resc&amp;ale</source>
        <translation>再スケール(&amp;A)</translation>
    </message>
    <message>
        <source>Stops the job with a savepoint and continues from it in this process with another number of window tasks.</source>
        <translation>セーブポイントを取得してジョブを停止し、このプロセス内で別のウィンドウタスク数でそこから再開します。</translation>
    </message>
    <message>
        <source>Rescale now? The job stops with a savepoint and continues from it at the new parallelism.</source>
        <translation>今すぐ再スケールしますか？ジョブはセーブポイントを取得して停止し、新しい並列度でそこから再開します。</translation>
    </message>
    <message>
        <source>Window tasks (parallelism)</source>
        <translation>ウィンドウタスク数（並列度）</translation>
    </message>
    <message>
        <source>%1 takes no parameter &quot;%2&quot;</source>
        <translation>%1 にパラメーター「%2」はありません</translation>
    </message>
    <message>
        <source>%1 needs the parameter &quot;%2&quot;</source>
        <translation>%1 にはパラメーター「%2」が必要です</translation>
    </message>
    <message>
        <source>%1 must be an integer from %2 to %3</source>
        <translation>%1 は %2 から %3 までの整数で指定してください</translation>
    </message>
    <message>
        <source>Rest&amp;ore</source>
        <translation>リストア(&amp;O)</translation>
    </message>
    <message>
        <source>Stops the job with a savepoint and continues in this process from a checkpoint or savepoint on disk.</source>
        <translation>セーブポイントを取得してジョブを停止し、このプロセスでディスク上のチェックポイントまたはセーブポイントから再開します。</translation>
    </message>
    <message>
        <source>Restore now? The job stops with a savepoint and continues from the chosen file; what came after it is counted again.</source>
        <translation>今すぐリストアしますか? ジョブはセーブポイントを取得して停止し、選択したファイルから再開します。それ以降のデータは再度カウントされます。</translation>
    </message>
    <message>
        <source>Checkpoint or savepoint</source>
        <translation>チェックポイントまたはセーブポイント</translation>
    </message>
    <message>
        <source>%1 must be the path of a checkpoint or savepoint</source>
        <translation>%1 はチェックポイントまたはセーブポイントのパスである必要があります</translation>
    </message>
</context>
<context>
    <name>tally::AlertModel</name>
    <message>
        <source>Checkpoint duration above 80% of the interval</source>
        <translation>チェックポイント所要時間が間隔の80%を超過</translation>
    </message>
    <message>
        <source>% of interval</source>
        <translation>%（間隔比）</translation>
    </message>
    <message>
        <source>Consumer lag above twice the watermark bound</source>
        <translation>コンシューマーラグがウォーターマーク境界の2倍を超過</translation>
    </message>
    <message>
        <source>x bound</source>
        <translation>倍（境界比）</translation>
    </message>
    <message>
        <source>Sink write latency p99 above 5x its baseline</source>
        <translation>シンク書き込みレイテンシ p99 がベースラインの5倍を超過</translation>
    </message>
    <message>
        <source>x baseline</source>
        <translation>倍（ベースライン比）</translation>
    </message>
    <message>
        <source>Sustained backpressure</source>
        <translation>持続的なバックプレッシャー</translation>
    </message>
    <message>
        <source>% of time</source>
        <translation>%（時間比）</translation>
    </message>
    <message>
        <source>One partition takes most of the traffic</source>
        <translation>1つのパーティションにトラフィックが集中</translation>
    </message>
    <message>
        <source>% of records</source>
        <translation>%（レコード比）</translation>
    </message>
    <message>
        <source>Dead-letter rate over the threshold</source>
        <translation>デッドレター率がしきい値を超過</translation>
    </message>
    <message>
        <source>Late-drop rate over the threshold</source>
        <translation>遅延による破棄率がしきい値を超過</translation>
    </message>
    <message>
        <source>% of events</source>
        <translation>%（イベント比）</translation>
    </message>
    <message>
        <source>active</source>
        <translation>発生中</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>解決済み</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>アラート</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状態</translation>
    </message>
    <message>
        <source>Fired</source>
        <translation>発生時刻</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>解決時刻</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>値</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>しきい値</translation>
    </message>
    <message>
        <source>Sink down: writes to the database fail</source>
        <translation>シンク停止: データベースへの書き込みが失敗</translation>
    </message>
    <message>
        <source>s failing</source>
        <translation>秒間失敗</translation>
    </message>
    <message>
        <source>The job failed and stopped</source>
        <translation>ジョブが失敗して停止</translation>
    </message>
    <message>
        <source>s stopped</source>
        <translation>秒間停止</translation>
    </message>
    <message>
        <source>No completed checkpoint for several intervals</source>
        <translation>複数の間隔にわたり完了したチェックポイントなし</translation>
    </message>
    <message>
        <source>intervals</source>
        <translation>間隔</translation>
    </message>
    <message>
        <source>Output stalled while input flows</source>
        <translation>入力があるのに出力が停止</translation>
    </message>
    <message>
        <source>s without a commit</source>
        <translation>秒間コミットなし</translation>
    </message>
    <message>
        <source>Kafka broker unreachable</source>
        <translation>Kafka ブローカーに到達不能</translation>
    </message>
    <message>
        <source>s unreachable</source>
        <translation>秒間到達不能</translation>
    </message>
    <message>
        <source>Database behind: stored results older than the bound</source>
        <translation>データベースの遅れ: 保存済みの結果が上限より古い</translation>
    </message>
    <message>
        <source>s behind</source>
        <translation>秒遅れ</translation>
    </message>
    <message>
        <source>Consumer stalled: committed offsets stopped while lag grows</source>
        <translation>コンシューマー停滞: ラグが増える中でコミット済みオフセットが止まっています</translation>
    </message>
    <message>
        <source>partitions</source>
        <translation>パーティション</translation>
    </message>
    <message>
        <source>Rebalance storm: the consumer group keeps rebalancing</source>
        <translation>リバランスの嵐: コンシューマーグループがリバランスを繰り返しています</translation>
    </message>
    <message>
        <source>rebalances in 5 min</source>
        <translation>回のリバランス（5 分間）</translation>
    </message>
    <message>
        <source>Memory above its share of the limit</source>
        <translation>メモリ使用量が上限に対する割合を超えています</translation>
    </message>
    <message>
        <source>% of limit</source>
        <translation>%（上限比）</translation>
    </message>
    <message>
        <source>Free disk space low where the job writes</source>
        <translation>ジョブの書き込み先の空きディスク容量が少なくなっています</translation>
    </message>
    <message>
        <source>% free</source>
        <translation>% 空き</translation>
    </message>
    <message>
        <source>Kafka partitions without a leader or under-replicated</source>
        <translation>リーダーのない、またはレプリカ不足の Kafka パーティション</translation>
    </message>
</context>
<context>
    <name>tally::AlertsPage</name>
    <message>
        <source>Alerts &amp; runbooks</source>
        <translation>アラートとランブック</translation>
    </message>
    <message>
        <source>No runbook for %1.</source>
        <translation>%1 のランブックはありません。</translation>
    </message>
    <message>
        <source>Rules (thresholds apply at once, are kept and audited)</source>
        <translation>ルール（しきい値はすぐに適用され、保存され、監査ログに記録されます）</translation>
    </message>
</context>
<context>
    <name>tally::AuditModel</name>
    <message>
        <source>Time</source>
        <translation>日時</translation>
    </message>
    <message>
        <source>User</source>
        <translation>ユーザー</translation>
    </message>
    <message>
        <source>From</source>
        <translation>操作元</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>パラメーター</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>結果</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>詳細</translation>
    </message>
</context>
<context>
    <name>tally::AuditPage</name>
    <message>
        <source>Every operator action, from this window, the web console or the API, with its outcome. Stored in %1.</source>
        <translation>この画面、Web コンソール、API から行われたすべての操作とその結果を記録します。保存先：%1</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>監査ログ</translation>
    </message>
</context>
<context>
    <name>tally::BackpressurePage</name>
    <message>
        <source>Backpressured: time an operator waited for a full queue downstream. The slowest operator is the first busy one after a backpressured chain.</source>
        <translation>バックプレッシャー：オペレーターが下流の満杯のキューを待っていた時間です。最も遅いオペレーターは、バックプレッシャーを受けている連鎖の後で最初にビジーになっているものです。</translation>
    </message>
    <message>
        <source>Backpressure</source>
        <translation>バックプレッシャー</translation>
    </message>
    <message>
        <source>Backpressured time per operator</source>
        <translation>オペレーターごとのバックプレッシャー時間</translation>
    </message>
    <message>
        <source>% of time</source>
        <translation>時間の %</translation>
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
        <translation>開始時刻</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>所要時間</translation>
    </message>
    <message>
        <source>Alignment</source>
        <translation>アライメント</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>ステータス</translation>
    </message>
    <message>
        <source>This job takes no checkpoints (checkpoint.enabled is false): after a crash it starts again from the source. Savepoints work without them: take one from the toolbar, stop with one, or rescale; tally --restore FILE continues from one.</source>
        <translation>このジョブはチェックポイントを作成しません（checkpoint.enabled が false）。クラッシュ後はソースの先頭からやり直します。セーブポイントはチェックポイントなしでも使えます：ツールバーから作成、セーブポイント付きで停止、または再スケール。tally --restore FILE でセーブポイントから再開できます。</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>completed</source>
        <translation>完了</translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation>失敗：%1</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>同期</translation>
    </message>
    <message>
        <source>Async</source>
        <translation>非同期</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>種類</translation>
    </message>
    <message>
        <source>Written</source>
        <translation>書き込み</translation>
    </message>
    <message>
        <source>State size</source>
        <translation>状態サイズ</translation>
    </message>
    <message>
        <source>Shared files</source>
        <translation>共有ファイル</translation>
    </message>
    <message>
        <source>incremental</source>
        <translation>増分</translation>
    </message>
    <message>
        <source>full</source>
        <translation>フル</translation>
    </message>
</context>
<context>
    <name>tally::CheckpointsPage</name>
    <message>
        <source>Checkpoint duration</source>
        <translation>チェックポイント所要時間</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>80% of the interval</source>
        <translation>間隔の80%</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>チェックポイント</translation>
    </message>
    <message>
        <source>duration (max per second)</source>
        <translation>所要時間（1 秒ごとの最大値）</translation>
    </message>
    <message>
        <source>Checkpoints and savepoints on disk</source>
        <translation>ディスク上のチェックポイントとセーブポイント</translation>
    </message>
    <message>
        <source>Pick one to see the command that continues from it (with the options this job was started with).</source>
        <translation>選ぶと、そこから再開するコマンドを表示します（このジョブを起動したときのオプションを付けて）。</translation>
    </message>
</context>
<context>
    <name>tally::DeadLetterModel</name>
    <message>
        <source>Received</source>
        <translation>受信時刻</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Partition</source>
        <translation>パーティション</translation>
    </message>
    <message>
        <source>Offset</source>
        <translation>オフセット</translation>
    </message>
    <message>
        <source>Bytes</source>
        <translation>バイト数</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>詳細</translation>
    </message>
</context>
<context>
    <name>tally::DeadLettersPage</name>
    <message>
        <source>All reasons</source>
        <translation>すべての理由</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>理由：</translation>
    </message>
    <message>
        <source>Pick a record to see its bytes.</source>
        <translation>レコードを選ぶとそのバイト列を表示します。</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>テキスト</translation>
    </message>
    <message>
        <source>Hex</source>
        <translation>16 進</translation>
    </message>
    <message>
        <source>Dead letters</source>
        <translation>デッドレター</translation>
    </message>
    <message>
        <source>No dead letters in this run.</source>
        <translation>この実行ではデッドレターはありません。</translation>
    </message>
    <message>
        <source>%1 dead letters in this run: %2</source>
        <translation>この実行のデッドレター %1 件：%2</translation>
    </message>
    <message>
        <source>%1 from partition %2, offset %3, %4 bytes: %5</source>
        <translation>%1（パーティション %2、オフセット %3、%4 バイト）：%5</translation>
    </message>
    <message>
        <source>(the first %1 bytes shown)</source>
        <translation>（先頭 %1 バイトを表示）</translation>
    </message>
    <message>
        <source>Records that could not be decoded, newest first: the last %1 of this run. The sink keeps every one (its dead_letters table, or the dead-letter topic with Kafka); &quot;Stored&quot; reads the SQLite sink&apos;s table, every run&apos;s.</source>
        <translation>デコードできなかったレコード (新しい順): この実行の最新 %1 件。シンクはすべてを保持します (dead_letters テーブル、または Kafka ではデッドレタートピック)。「保存済み」は SQLite シンクのテーブル (全実行分) を読みます。</translation>
    </message>
    <message>
        <source>This run</source>
        <translation>この実行</translation>
    </message>
    <message>
        <source>Stored (every run)</source>
        <translation>保存済み (全実行)</translation>
    </message>
    <message>
        <source>No stored dead letters to show: %1</source>
        <translation>表示できる保存済みデッドレターはありません: %1</translation>
    </message>
    <message>
        <source>The newest %1 stored dead letters (the read stopped after half a second: older ones are not shown).</source>
        <translation>保存済みデッドレターの最新 %1 件 (読み取りは 0.5 秒で打ち切り: それより古いものは表示されません)。</translation>
    </message>
    <message>
        <source>No stored dead letters.</source>
        <translation>保存済みのデッドレターはありません。</translation>
    </message>
    <message>
        <source>The newest %1 stored dead letters, every run&apos;s.</source>
        <translation>全実行の保存済みデッドレターの最新 %1 件。</translation>
    </message>
</context>
<context>
    <name>tally::EngineHost</name>
    <message>
        <source>The job has stopped.</source>
        <translation>ジョブは停止しています。</translation>
    </message>
    <message>
        <source>The source is already paused.</source>
        <translation>ソースはすでに一時停止しています。</translation>
    </message>
    <message>
        <source>The source is not paused.</source>
        <translation>ソースは一時停止していません。</translation>
    </message>
    <message>
        <source>The job has no sink (output.type is &quot;none&quot;).</source>
        <translation>ジョブにシンクがありません（output.type が &quot;none&quot;）。</translation>
    </message>
    <message>
        <source>The sink is not holding writes.</source>
        <translation>シンクは書き込みを保留していません。</translation>
    </message>
    <message>
        <source>No divert buffer is configured (set output.divert_path).</source>
        <translation>迂回用のバッファが設定されていません（output.divert_path を設定してください）。</translation>
    </message>
    <message>
        <source>%1 is not a checkpoint or savepoint in this job&apos;s folders (checkpoint.dir, checkpoint.savepoint_dir)</source>
        <translation>%1 はこのジョブのフォルダー (checkpoint.dir、checkpoint.savepoint_dir) にあるチェックポイントまたはセーブポイントではありません</translation>
    </message>
    <message>
        <source>A rescale or restore is already running.</source>
        <translation>再スケールまたはリストアが既に実行中です。</translation>
    </message>
</context>
<context>
    <name>tally::KafkaMemberModel</name>
    <message>
        <source>Member</source>
        <translation>メンバー</translation>
    </message>
    <message>
        <source>Client</source>
        <translation>クライアント</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>ホスト</translation>
    </message>
    <message>
        <source>Instance</source>
        <translation>インスタンス</translation>
    </message>
    <message>
        <source>Partitions</source>
        <translation>パーティション</translation>
    </message>
    <message>
        <source>%1 (this process)</source>
        <translation>%1 (このプロセス)</translation>
    </message>
</context>
<context>
    <name>tally::KafkaPage</name>
    <message>
        <source>Partitions</source>
        <translation>パーティション</translation>
    </message>
    <message>
        <source>Consumer group members</source>
        <translation>コンシューマーグループのメンバー</translation>
    </message>
    <message>
        <source>Kafka</source>
        <translation>Kafka</translation>
    </message>
    <message>
        <source>The source is the built-in generator: there is no topic or consumer group to show. With [source] type = &quot;kafka&quot;, this page shows the topic&apos;s partitions and the group&apos;s members as the broker describes them.</source>
        <translation>ソースは組み込みジェネレーターです。表示するトピックやコンシューマーグループはありません。[source] type = &quot;kafka&quot; の場合、このページにはブローカーが返すトピックのパーティションとグループのメンバーが表示されます。</translation>
    </message>
    <message>
        <source>No consumer reads the topic now (the job is starting or being replaced).</source>
        <translation>現在トピックを読むコンシューマーはありません (ジョブの起動中または入れ替え中)。</translation>
    </message>
</context>
<context>
    <name>tally::KafkaPartitionModel</name>
    <message>
        <source>Partition</source>
        <translation>パーティション</translation>
    </message>
    <message>
        <source>Leader</source>
        <translation>リーダー</translation>
    </message>
    <message>
        <source>Replicas</source>
        <translation>レプリカ</translation>
    </message>
    <message>
        <source>In sync</source>
        <translation>同期中</translation>
    </message>
    <message>
        <source>Log start</source>
        <translation>ログ開始</translation>
    </message>
    <message>
        <source>Log end</source>
        <translation>ログ終端</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>レコード</translation>
    </message>
    <message>
        <source>Group offset</source>
        <translation>グループのオフセット</translation>
    </message>
    <message>
        <source>Group lag</source>
        <translation>グループの遅延</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>所有者</translation>
    </message>
    <message>
        <source>%1 (this process)</source>
        <translation>%1 (このプロセス)</translation>
    </message>
    <message>
        <source>none</source>
        <translation>なし</translation>
    </message>
    <message>
        <source>No leader: nobody serves this partition</source>
        <translation>リーダーなし: このパーティションを提供するブローカーがいません</translation>
    </message>
    <message>
        <source>Under-replicated: fewer in-sync replicas than replicas</source>
        <translation>レプリカ不足: 同期中のレプリカがレプリカ数より少ない</translation>
    </message>
    <message>
        <source>No member of the group is assigned this partition</source>
        <translation>このパーティションはグループのどのメンバーにも割り当てられていません</translation>
    </message>
</context>
<context>
    <name>tally::LagPage</name>
    <message>
        <source>Consumer lag per partition</source>
        <translation>パーティション別コンシューマーラグ</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>partition %1</source>
        <translation>パーティション %1</translation>
    </message>
    <message>
        <source>Records per partition</source>
        <translation>パーティション別レコード数</translation>
    </message>
    <message>
        <source>records/s</source>
        <translation>レコード/秒</translation>
    </message>
    <message>
        <source>Consumer lag</source>
        <translation>コンシューマーラグ</translation>
    </message>
    <message>
        <source>The built-in generator has no consumer lag: records are produced on demand. Records per partition show where the traffic goes.</source>
        <translation>内蔵ジェネレーターにはコンシューマーラグがありません。レコードは必要に応じて生成されます。パーティション別レコード数でトラフィックの行き先を確認できます。</translation>
    </message>
    <message>
        <source>no consumer lag: the source is the built-in generator</source>
        <translation>コンシューマーラグなし：ソースは内蔵ジェネレーターです</translation>
    </message>
    <message>
        <source>Largest lag %1; time to catch up at the current rates: %2</source>
        <translation>最大ラグ %1、現在のレートで追いつくまでの時間：%2</translation>
    </message>
</context>
<context>
    <name>tally::MainWindow</name>
    <message>
        <source>Tally — like-counting pipeline</source>
        <translation>Tally — いいね集計パイプライン</translation>
    </message>
    <message>
        <source>The job has finished.</source>
        <translation>ジョブが終了しました。</translation>
    </message>
    <message>
        <source>&amp;Actions</source>
        <translation>操作(&amp;A)</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>終了(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>表示(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Dark theme</source>
        <translation>ダークテーマ(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Language…</source>
        <translation>言語(&amp;L)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>ヘルプ(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Tally</source>
        <translation>Tally について(&amp;A)</translation>
    </message>
    <message>
        <source>About Tally</source>
        <translation>Tally について</translation>
    </message>
    <message>
        <source>&lt;b&gt;Tally&lt;/b&gt; %1&lt;br&gt;Counts likes in real time: event-time windows with watermarks, from Kafka or the built-in generator into SQLite or PostgreSQL.</source>
        <translation>&lt;b&gt;Tally&lt;/b&gt; %1&lt;br&gt;いいねをリアルタイムで集計します。ウォーターマーク付きのイベント時刻ウィンドウで、Kafka または内蔵ジェネレーターから SQLite または PostgreSQL へ書き込みます。</translation>
    </message>
    <message>
        <source>%1: running…</source>
        <translation>%1：実行中…</translation>
    </message>
    <message>
        <source>%1: done</source>
        <translation>%1：完了</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 が失敗しました：%2</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>システムの既定</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>言語</translation>
    </message>
    <message>
        <source>Language (applies after a restart):</source>
        <translation>言語（再起動後に反映）：</translation>
    </message>
    <message>
        <source>The language changes when Tally starts next.</source>
        <translation>言語は次回 Tally を起動したときに切り替わります。</translation>
    </message>
    <message>
        <source>%1:</source>
        <translation>%1：</translation>
    </message>
    <message>
        <source>%1 | %2 | database up to date to %3 | alerts firing: %4</source>
        <translation>%1 | %2 | データベースは %3 まで最新 | 発生中のアラート：%4 件</translation>
    </message>
    <message>
        <source>No checkpoint or savepoint on disk to restore from.</source>
        <translation>リストアに使えるチェックポイントやセーブポイントがディスク上にありません。</translation>
    </message>
    <message>
        <source>%1: done, verified: %2</source>
        <translation>%1: 完了、確認済み: %2</translation>
    </message>
    <message>
        <source>%1: done, not verified: %2</source>
        <translation>%1: 完了、未確認: %2</translation>
    </message>
    <message>
        <source>Checked first: %1</source>
        <translation>事前チェック: %1</translation>
    </message>
</context>
<context>
    <name>tally::OperatorGraph</name>
    <message>
        <source>sink: %1</source>
        <translation>シンク：%1</translation>
    </message>
    <message>
        <source>%1
%2 busy, %3 bp</source>
        <translation>%1
ビジー %2、BP %3</translation>
    </message>
</context>
<context>
    <name>tally::OperatorModel</name>
    <message>
        <source>Operator</source>
        <translation>オペレーター</translation>
    </message>
    <message>
        <source>Busy</source>
        <translation>ビジー</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>アイドル</translation>
    </message>
    <message>
        <source>Backpressured</source>
        <translation>バックプレッシャー</translation>
    </message>
    <message>
        <source>Blocked by a full downstream queue most of the time</source>
        <translation>ほとんどの時間、下流の満杯のキューでブロックされています</translation>
    </message>
    <message>
        <source>Busy most of the time: a likely bottleneck</source>
        <translation>ほとんどの時間ビジー：ボトルネックの可能性があります</translation>
    </message>
    <message>
        <source>Records in</source>
        <translation>入力レコード</translation>
    </message>
    <message>
        <source>Records out</source>
        <translation>出力レコード</translation>
    </message>
</context>
<context>
    <name>tally::OverviewModel</name>
    <message>
        <source>Figure</source>
        <translation>指標</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>値</translation>
    </message>
    <message>
        <source>Throughput in</source>
        <translation>スループット（入力）</translation>
    </message>
    <message>
        <source>Like events decoded per second</source>
        <translation>1秒あたりにデコードされたいいねイベント数</translation>
    </message>
    <message>
        <source>Throughput out</source>
        <translation>スループット（出力）</translation>
    </message>
    <message>
        <source>Window results per second</source>
        <translation>1秒あたりのウィンドウ結果数</translation>
    </message>
    <message>
        <source>Likes counted up to</source>
        <translation>いいね集計済みの時刻</translation>
    </message>
    <message>
        <source>The job watermark: windows ending before it have fired</source>
        <translation>ジョブのウォーターマーク：これより前に終わるウィンドウは確定済みです</translation>
    </message>
    <message>
        <source>Consumer lag</source>
        <translation>コンシューマーラグ</translation>
    </message>
    <message>
        <source>none (built-in generator)</source>
        <translation>なし（内蔵ジェネレーター）</translation>
    </message>
    <message>
        <source>Watermark skew</source>
        <translation>ウォーターマークのずれ</translation>
    </message>
    <message>
        <source>, holding writes (drained)</source>
        <translation>、書き込み保留中（ドレイン済み）</translation>
    </message>
    <message>
        <source>, %1 rows diverted</source>
        <translation>、%1 行を迂回</translation>
    </message>
    <message>
        <source>Sink</source>
        <translation>シンク</translation>
    </message>
    <message>
        <source>none</source>
        <translation>なし</translation>
    </message>
    <message>
        <source>Active alerts</source>
        <translation>発生中のアラート</translation>
    </message>
    <message>
        <source>Job state</source>
        <translation>ジョブの状態</translation>
    </message>
    <message>
        <source>Last savepoint</source>
        <translation>最新のセーブポイント</translation>
    </message>
    <message>
        <source>none yet</source>
        <translation>まだありません</translation>
    </message>
    <message>
        <source>Last checkpoint</source>
        <translation>最新のチェックポイント</translation>
    </message>
    <message>
        <source>epoch %1, %2 ago, took %3</source>
        <translation>エポック %1、%2 前、所要 %3</translation>
    </message>
    <message>
        <source>off (checkpoint.enabled)</source>
        <translation>オフ（checkpoint.enabled）</translation>
    </message>
    <message>
        <source>Database up to date to</source>
        <translation>データベースの最新時点</translation>
    </message>
    <message>
        <source>Every window ending before it has its rows in the database</source>
        <translation>この時点より前に終わるすべてのウィンドウの行がデータベースにあります</translation>
    </message>
    <message>
        <source>Behind by</source>
        <translation>遅れの内訳</translation>
    </message>
    <message>
        <source>Where the delay goes: records waiting in Kafka, the watermark&apos;s out-of-orderness bound, fired windows waiting for their epoch to close, rows waiting in the sink</source>
        <translation>遅れの内訳: Kafka で待つレコード、ウォーターマークの順序乱れ上限、エポックの終了を待つ発火済みウィンドウ、シンクで待つ行</translation>
    </message>
    <message>
        <source>Restoring</source>
        <translation>復元中</translation>
    </message>
    <message>
        <source>from %1: %2 of %3 window tasks loaded, %4 so far</source>
        <translation>%1 から：ウィンドウタスク %3 個中 %2 個を読み込み済み（経過 %4）</translation>
    </message>
    <message>
        <source>The window tasks are loading the state they continue from; results wait until they have</source>
        <translation>ウィンドウタスクが再開元の状態を読み込んでいます。読み込みが終わるまで結果は待機します</translation>
    </message>
    <message>
        <source>Capacity</source>
        <translation>処理能力</translation>
    </message>
    <message>
        <source>A 500K/s burst for 1 min</source>
        <translation>500K/秒のバースト 1 分間</translation>
    </message>
    <message>
        <source>What a celebrity post&apos;s burst of 500,000 records/s for a minute would do to the lag</source>
        <translation>有名人の投稿による 500,000 レコード/秒・1 分間のバーストがラグに与える影響</translation>
    </message>
    <message>
        <source>The highest input rate this machine sustains at this parallelism, from each operator&apos;s CPU time per record (a low load under-estimates it)</source>
        <translation>この並列度でこのマシンが維持できる最大の入力レート（各オペレーターのレコードあたりの CPU 時間から推定、低負荷では過小評価）</translation>
    </message>
</context>
<context>
    <name>tally::OverviewPage</name>
    <message>
        <source>Source: %1  →  Sink: %2</source>
        <translation>ソース：%1  →  シンク：%2</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>スループット</translation>
    </message>
    <message>
        <source>per second</source>
        <translation>毎秒</translation>
    </message>
    <message>
        <source>events in</source>
        <translation>入力イベント</translation>
    </message>
    <message>
        <source>rows out</source>
        <translation>出力行</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>アラート</translation>
    </message>
    <message>
        <source>Overview</source>
        <translation>概要</translation>
    </message>
</context>
<context>
    <name>tally::PartitionModel</name>
    <message>
        <source>Partition</source>
        <translation>パーティション</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>レコード数</translation>
    </message>
    <message>
        <source>Records/s</source>
        <translation>レコード/秒</translation>
    </message>
    <message>
        <source>Watermark</source>
        <translation>ウォーターマーク</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>アイドル</translation>
    </message>
    <message>
        <source>Lag (records)</source>
        <translation>ラグ（レコード）</translation>
    </message>
    <message>
        <source>Lag (s)</source>
        <translation>ラグ（秒）</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>アイドル</translation>
    </message>
    <message>
        <source>Hot partition: %1 of recent records</source>
        <translation>ホットパーティション：直近のレコードの %1</translation>
    </message>
    <message>
        <source>Holds the job watermark back</source>
        <translation>ジョブのウォーターマークを遅らせています</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>ステータス</translation>
    </message>
    <message>
        <source>%1: the group&apos;s committed offset over the last ten commits</source>
        <translation>%1: 直近 10 回のコミットにおけるグループのコミット済みオフセット</translation>
    </message>
</context>
<context>
    <name>tally::RestorePointModel</name>
    <message>
        <source>savepoint</source>
        <translation>セーブポイント</translation>
    </message>
    <message>
        <source>checkpoint (incremental)</source>
        <translation>チェックポイント（増分）</translation>
    </message>
    <message>
        <source>checkpoint</source>
        <translation>チェックポイント</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>種類</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>エポック</translation>
    </message>
    <message>
        <source>Taken</source>
        <translation>取得時刻</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>サイズ</translation>
    </message>
    <message>
        <source>File</source>
        <translation>ファイル</translation>
    </message>
</context>
<context>
    <name>tally::SinkModel</name>
    <message>
        <source>Figure</source>
        <translation>指標</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>値</translation>
    </message>
    <message>
        <source>Sink</source>
        <translation>シンク</translation>
    </message>
    <message>
        <source>none (output.type is &quot;none&quot;)</source>
        <translation>なし（output.type が &quot;none&quot;）</translation>
    </message>
    <message>
        <source>Circuit</source>
        <translation>サーキットブレーカー</translation>
    </message>
    <message>
        <source>Writes</source>
        <translation>書き込み</translation>
    </message>
    <message>
        <source>held (drained)</source>
        <translation>保留中（ドレイン済み）</translation>
    </message>
    <message>
        <source>flowing</source>
        <translation>稼働中</translation>
    </message>
    <message>
        <source>Rows/s</source>
        <translation>行/秒</translation>
    </message>
    <message>
        <source>Pending rows</source>
        <translation>保留中の行</translation>
    </message>
    <message>
        <source>Diverted rows</source>
        <translation>迂回した行</translation>
    </message>
    <message>
        <source>Write latency p50</source>
        <translation>書き込みレイテンシ p50</translation>
    </message>
    <message>
        <source>Write latency p99</source>
        <translation>書き込みレイテンシ p99</translation>
    </message>
    <message>
        <source>Write latency max</source>
        <translation>書き込みレイテンシ 最大</translation>
    </message>
    <message>
        <source>Retries</source>
        <translation>リトライ数</translation>
    </message>
    <message>
        <source>Transient errors</source>
        <translation>一時的なエラー</translation>
    </message>
    <message>
        <source>Rejected rows</source>
        <translation>拒否された行</translation>
    </message>
    <message>
        <source>Last committed epoch</source>
        <translation>最後にコミットしたエポック</translation>
    </message>
    <message>
        <source>Last window written</source>
        <translation>最後に書き込んだウィンドウ</translation>
    </message>
</context>
<context>
    <name>tally::SinksPage</name>
    <message>
        <source>Write latency</source>
        <translation>書き込みレイテンシ</translation>
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
        <translation>書き込み済みと保留中の行</translation>
    </message>
    <message>
        <source>rows</source>
        <translation>行</translation>
    </message>
    <message>
        <source>rows/s</source>
        <translation>行/秒</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>保留中</translation>
    </message>
    <message>
        <source>diverted</source>
        <translation>迂回</translation>
    </message>
    <message>
        <source>Sinks</source>
        <translation>シンク</translation>
    </message>
</context>
<context>
    <name>tally::TimeSeriesChart</name>
    <message>
        <source>time</source>
        <translation>時刻</translation>
    </message>
</context>
<context>
    <name>tally::WatchedPostModel</name>
    <message>
        <source>Window start</source>
        <translation>ウィンドウ開始</translation>
    </message>
    <message>
        <source>Net likes</source>
        <translation>正味のいいね</translation>
    </message>
</context>
<context>
    <name>tally::WatermarksPage</name>
    <message>
        <source>Partition watermarks behind the wall clock</source>
        <translation>パーティションのウォーターマークの実時間からの遅れ</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>partition %1</source>
        <translation>パーティション %1</translation>
    </message>
    <message>
        <source>Watermark skew</source>
        <translation>ウォーターマークのずれ</translation>
    </message>
    <message>
        <source>skew (max - min)</source>
        <translation>ずれ（最大 - 最小）</translation>
    </message>
    <message>
        <source>out-of-orderness bound</source>
        <translation>順序乱れの許容範囲</translation>
    </message>
    <message>
        <source>Late and dropped events</source>
        <translation>遅延イベントと破棄イベント</translation>
    </message>
    <message>
        <source>events/s</source>
        <translation>イベント/秒</translation>
    </message>
    <message>
        <source>late (window re-fired)</source>
        <translation>遅延（ウィンドウを再出力）</translation>
    </message>
    <message>
        <source>dropped (past allowed lateness)</source>
        <translation>破棄（許容遅延を超過）</translation>
    </message>
    <message>
        <source>Watermarks</source>
        <translation>ウォーターマーク</translation>
    </message>
    <message>
        <source>Job watermark %1, skew %2. %3 Late so far: %4, dropped: %5.</source>
        <translation>ジョブのウォーターマーク %1、ずれ %2。%3これまでの遅延：%4、破棄：%5。</translation>
    </message>
    <message>
        <source>Partition %1 holds the watermark back.</source>
        <translation>パーティション %1 がウォーターマークを遅らせています。</translation>
    </message>
</context>
<context>
    <name>tally::WindowLeadersModel</name>
    <message>
        <source>Rank</source>
        <translation>順位</translation>
    </message>
    <message>
        <source>Region</source>
        <translation>地域</translation>
    </message>
    <message>
        <source>Likes</source>
        <translation>いいね数</translation>
    </message>
    <message>
        <source>Post</source>
        <translation>投稿</translation>
    </message>
    <message>
        <source>Likes in window</source>
        <translation>ウィンドウ内のいいね数</translation>
    </message>
    <message>
        <source>Viral</source>
        <translation>バイラル</translation>
    </message>
    <message>
        <source>User</source>
        <translation>ユーザー</translation>
    </message>
    <message>
        <source>no window has fired yet</source>
        <translation>確定したウィンドウはまだありません</translation>
    </message>
    <message>
        <source>viral</source>
        <translation>バイラル</translation>
    </message>
</context>
<context>
    <name>tally::WindowsPage</name>
    <message>
        <source>Top posts now (likes_per_post)</source>
        <translation>現在の上位投稿（likes_per_post）</translation>
    </message>
    <message>
        <source>Likes by region</source>
        <translation>地域別いいね数</translation>
    </message>
    <message>
        <source>Velocity leaders (like_velocity)</source>
        <translation>いいね速度の上位（like_velocity）</translation>
    </message>
    <message>
        <source>Spam suspects</source>
        <translation>スパムの疑い</translation>
    </message>
    <message>
        <source>Windows</source>
        <translation>ウィンドウ</translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation>ウィンドウ %1</translation>
    </message>
    <message>
        <source>Post %1, likes per window</source>
        <translation>投稿 %1 のウィンドウ別いいね数</translation>
    </message>
    <message>
        <source>Select a post</source>
        <translation>投稿を選択してください</translation>
    </message>
    <message>
        <source>net likes</source>
        <translation>正味のいいね数</translation>
    </message>
    <message>
        <source>window start (event time)</source>
        <translation>ウィンドウ開始（イベント時刻）</translation>
    </message>
</context>
</TS>
