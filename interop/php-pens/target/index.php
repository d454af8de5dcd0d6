<?php
// php-pens as a PENS target (PENSServer): the entry point the collect is sent to.
//
// PENSServer answers the collect, then POSTs the same request back to this URL with
// process=1 and downloads, receipts and processes the package in that second request
// ("fake multithreading"); the built-in server needs PHP_CLI_SERVER_WORKERS for it.
// The handler below is ours: it stands for an LMS's importer and sends one alert per
// imported package, as CMI010 §5.1 allows.
require_once __DIR__ . '/../bootstrap.php';

class InteropPackageHandler extends PENSPackageHandler
{
    public function processPackage($request, $path_to_package)
    {
        $problem = zip_problem($path_to_package);
        $alert = $problem === null
            ? new PENSResponse(0, 'package imported')
            : new PENSResponse(1432, $problem);
        PENSServer::singleton()->sendAlert($request, $alert);
    }
}

/**
 * What an importer finds when it opens the download as a zip (without ext-zip): the
 * end-of-central-directory record, and a central directory where it points. Null when
 * the archive opens.
 */
function zip_problem($path)
{
    // Read only the head and the tail: a package may be a gigabyte (package-large).
    $file = @fopen($path, 'rb');
    if ($file === false || fread($file, 4) !== "PK\x03\x04") {
        return 'the package is not a zip archive';
    }
    $size = filesize($path);
    // The record is 22 bytes plus a comment of up to 65535.
    $tail_start = max(0, $size - 65557);
    fseek($file, $tail_start);
    $tail = stream_get_contents($file);
    $eocd = strrpos($tail, "PK\x05\x06");
    if ($eocd === false) {
        return 'the zip archive has no end of central directory';
    }
    $record = unpack('vdisk/vcd_disk/vdisk_entries/ventries/Vcd_size/Vcd_offset', substr($tail, $eocd + 4, 16));
    if ($record === false || $record['entries'] === 0 || $record['cd_offset'] >= $size) {
        return 'the zip archive has no readable central directory';
    }
    fseek($file, $record['cd_offset']);
    if (fread($file, 4) !== "PK\x01\x02") {
        return 'the zip archive has no readable central directory';
    }
    return null;
}

$server = PENSServer::singleton();
$server->setPackageHandler(new InteropPackageHandler());
$server->receiveCollect();
