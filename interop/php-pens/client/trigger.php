<?php
// Makes php-pens's client publish once: builds a collect with php-pens's own
// PENSRequestFactory (its validation runs on it) and POSTs it, form-urlencoded, to
// PENS_TARGET_URL (set by `pens-conform client` for every publish). php-pens has no code
// that sends a collect; the encoding is ours (POST, the best practice of CMI010 §5).
//
// Environment: PENS_TARGET_URL (required), PHP_PENS_CLIENT_BASE (the router's base URL,
// where the package is staged and receipts and alerts are answered), PHP_PENS_PACKAGE
// (file name under /packages/; default scorm12-minimal.zip).
require_once __DIR__ . '/../bootstrap.php';

$target = getenv('PENS_TARGET_URL');
$base = rtrim((string) getenv('PHP_PENS_CLIENT_BASE'), '/');
if ($target === false || $target === '' || $base === '') {
    fwrite(STDERR, "trigger.php: PENS_TARGET_URL and PHP_PENS_CLIENT_BASE must be set\n");
    exit(2);
}
$package = getenv('PHP_PENS_PACKAGE') ?: 'scorm12-minimal.zip';

// A package-id in the form of CMI010's own example: the product's namespace URL, a
// colon, an id unique in it.
$id = sprintf('%d%06d', time(), random_int(0, 999999));
$collect = [
    'pens-version' => '1.0.0',
    'command' => 'collect',
    'package-type' => 'scorm-pif',
    'package-type-version' => '1.2',
    'package-format' => 'zip',
    'package-id' => 'http://php-pens.interop.test:' . $id,
    'package-url' => $base . '/packages/' . $package,
    'package-url-user-id' => '',
    'package-url-account' => '',
    'package-url-password' => '',
    'package-url-expiry' => gmdate('Y-m-d\TH:i:s\Z', time() + 86400),
    'client' => 'php-pens-interop',
    'system-user-id' => '',
    'system-password' => '',
    'receipt' => $base . '/pens-client',
    'alerts' => $base . '/pens-client',
    'vendor-data' => '',
];

try {
    PENSRequestFactory::createPENSRequest($collect);
} catch (PENSException $e) {
    fwrite(STDERR, "trigger.php: php-pens refuses its own collect: {$e->getCode()} {$e->getMessage()}\n");
    exit(1);
}

$ch = curl_init($target);
curl_setopt($ch, CURLOPT_POST, true);
curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query($collect));
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
curl_setopt($ch, CURLOPT_TIMEOUT, 60);
$answer = curl_exec($ch);
if ($answer === false) {
    fwrite(STDERR, 'trigger.php: ' . curl_error($ch) . "\n");
    exit(1);
}
curl_close($ch);
$response = new PENSResponse($answer);
echo 'answer: error=', $response->getError(), ' ', $response->getErrorText(), "\n";
exit(0);
