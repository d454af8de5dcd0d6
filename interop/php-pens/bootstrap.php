<?php
// Loads php-pens, unmodified, from PHP_PENS_DIR (default: shared/peers/php-pens beside
// this repository). Shared by the target and client entry points of the interop suite.
//
// Under PHP 8 three cURL constants php-pens uses are gone; without them any download
// error is a fatal error and no receipt is sent. Defining them to -1 gives the PHP 5/7
// behaviour (they matched no error code there either). See shared/peers/README.md.
foreach (['CURLE_OPERATION_TIMEOUT', 'CURLE_REMOTE_FILE_NOT_FOUND', 'CURLE_REMOTE_ACCESS_DENIED'] as $name) {
    if (!defined($name)) {
        define($name, -1);
    }
}
$php_pens_dir = getenv('PHP_PENS_DIR');
if ($php_pens_dir === false || $php_pens_dir === '') {
    $php_pens_dir = __DIR__ . '/../../../shared/peers/php-pens';
}
require_once $php_pens_dir . '/pens.php';
