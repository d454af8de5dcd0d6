<?php
// PHP's sendmail_path for the interop target: relays the message mail() hands it on
// standard input to the SMTP server at PHP_PENS_SMTP (host:port), the harness's mail
// sink. A plain SMTP dialogue, no TLS, no authentication, recipients from To:.
$relay = getenv('PHP_PENS_SMTP');
if ($relay === false || $relay === '') {
    fwrite(STDERR, "sendmail.php: PHP_PENS_SMTP is not set\n");
    exit(1);
}
$message = stream_get_contents(STDIN);
$headers = preg_split("/\r?\n\r?\n/", $message, 2)[0];
if (!preg_match('/^To:\s*(.+)$/mi', $headers, $to)) {
    fwrite(STDERR, "sendmail.php: no To: header\n");
    exit(1);
}
$recipients = array_filter(array_map('trim', explode(',', $to[1])));
$smtp = stream_socket_client('tcp://' . $relay, $errno, $error, 10);
if ($smtp === false) {
    fwrite(STDERR, "sendmail.php: cannot connect to $relay: $error\n");
    exit(1);
}
stream_set_timeout($smtp, 10);
function reply($smtp, $expected) {
    do {
        $line = fgets($smtp);
        if ($line === false) {
            fwrite(STDERR, "sendmail.php: connection closed\n");
            exit(1);
        }
    } while (isset($line[3]) && $line[3] === '-');
    if (strncmp($line, $expected, 3) !== 0) {
        fwrite(STDERR, "sendmail.php: expected $expected, got $line");
        exit(1);
    }
}
function say($smtp, $line, $expected) {
    fwrite($smtp, $line . "\r\n");
    reply($smtp, $expected);
}
reply($smtp, '220');
say($smtp, 'HELO php-pens.interop.test', '250');
say($smtp, 'MAIL FROM:<php-pens@interop.test>', '250');
foreach ($recipients as $recipient) {
    if (preg_match('/<([^>]+)>/', $recipient, $m)) {
        $recipient = $m[1];
    }
    say($smtp, "RCPT TO:<$recipient>", '250');
}
say($smtp, 'DATA', '354');
$body = preg_replace("/\r?\n/", "\r\n", $message);
$body = preg_replace('/^\./m', '..', $body);
fwrite($smtp, "From: php-pens <php-pens@interop.test>\r\n" . rtrim($body, "\r\n") . "\r\n.\r\n");
reply($smtp, '250');
say($smtp, 'QUIT', '221');
exit(0);
