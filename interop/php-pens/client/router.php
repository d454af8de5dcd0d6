<?php
// php-pens as a PENS client (PENSClient), under PHP's built-in server:
//   /packages/NAME  the staged package, from PHP_PENS_PACKAGES (the project's fixtures)
//   anything else   PENSClient::receiveRequest(): receipts and alerts, answered
require_once __DIR__ . '/../bootstrap.php';

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (strncmp($path, '/packages/', 10) === 0) {
    $name = basename($path);
    $file = rtrim((string) getenv('PHP_PENS_PACKAGES'), '/') . '/' . $name;
    if ($name === '' || !is_file($file)) {
        http_response_code(404);
        return true;
    }
    header('Content-Type: application/zip');
    header('Content-Length: ' . filesize($file));
    if ($_SERVER['REQUEST_METHOD'] !== 'HEAD') {
        readfile($file);
    }
    return true;
}

PENSClient::singleton()->receiveRequest();
return true;
