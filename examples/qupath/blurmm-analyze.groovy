/**
 * blurmm from inside QuPath (v0.4 - v0.7): run blur-aware analysis on the current image and
 * import the per-tile results (blur class, LV, route, predictions) as tile objects.
 *
 * Two ways to reach blurmm (set MODE below):
 *   'cli'   runs `blurmm analyze <slide> --out <dir>` as a process, then imports <dir>/tiles.geojson
 *   'serve' POSTs to a running `blurmm serve --port 8765 --root <folder with your slides>`
 *           (/v1/analyze with format "geojson") and imports the response
 *
 * Coordinates: blurmm writes level-0 pixel coordinates of the file (origin top-left, y down).
 * QuPath's OpenSlide server may crop the image to the slide's bounds (openslide.bounds-x/-y,
 * e.g. for MIRAX or some Hamamatsu files); then QuPath's (0, 0) is blurmm's (bounds-x, bounds-y)
 * and the objects are shifted by (-bounds-x, -bounds-y) before they are added. The script detects
 * this by comparing QuPath's image size with `blurmm info --json` and reading the bounds from it;
 * set OFFSET_X / OFFSET_Y yourself to override.
 *
 * Tested against: QuPath's scripting API as documented for v0.4 - v0.7 (QP.importObjectsFromFile,
 * PathIO.readObjects, PathObjectTools.transformObject). Run from Automate > Script editor.
 */
import java.awt.geom.AffineTransform
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.time.Duration
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import qupath.lib.io.PathIO
import qupath.lib.objects.PathObjectTools

// ---------------------------------------------------------------- settings
// (each can also be set by an environment variable of the same name with a BLURMM_ prefix)
def env = { String k, v -> System.getenv('BLURMM_' + k) ?: v }
def MODE = env('MODE', 'cli')                                  // 'cli' or 'serve'
def BLURMM = env('CMD', 'blurmm')                              // CLI: the blurmm command (or a full path, or 'npx blurmm')
def CONFIG = env('CONFIG', null)                               // CLI: optional config JSON path (models, routing); null = blur QC
def SERVE_URL = env('SERVE_URL', 'http://127.0.0.1:8765')      // serve: where `blurmm serve` listens
def CLEAR_EXISTING_TILES = true                                // remove tiles from an earlier run first
Integer OFFSET_X = env('OFFSET_X', null) as Integer            // null = detect; else the level-0 x of QuPath's origin
Integer OFFSET_Y = env('OFFSET_Y', null) as Integer

// ---------------------------------------------------------------- the slide
def imageData = getCurrentImageData()
if (imageData == null) { println 'Open an image first.'; return }
def server = imageData.getServer()
def uri = server.getURIs().iterator().next()
if (!'file'.equalsIgnoreCase(uri.getScheme())) { println "blurmm needs a local file; this image is at ${uri}"; return }
def slide = Paths.get(uri).toString()
println "blurmm: analysing ${slide} (${server.getWidth()} x ${server.getHeight()} px in QuPath)"

def run = { List<String> cmd ->
    def pb = new ProcessBuilder(BLURMM.split(' ').toList() + cmd).redirectErrorStream(true)
    def proc = pb.start()
    def out = proc.inputStream.getText('UTF-8')
    int code = proc.waitFor()
    [code, out]
}

// ---------------------------------------------------------------- origin offset (QuPath bounds crop)
int dx = 0, dy = 0
if (OFFSET_X != null || OFFSET_Y != null) {
    dx = OFFSET_X ?: 0; dy = OFFSET_Y ?: 0
} else if (MODE == 'cli') {
    def (code, out) = run(['info', slide, '--json'])
    if (code == 0) {
        def info = new JsonSlurper().parseText(out)
        if (info.width != server.getWidth() || info.height != server.getHeight()) {
            def bx = info.properties['openslide.bounds-x'], by = info.properties['openslide.bounds-y']
            if (bx != null && by != null) { dx = bx as int; dy = by as int }
            else println "blurmm: warning: QuPath shows ${server.getWidth()} x ${server.getHeight()} px but blurmm reads ${info.width} x ${info.height} px and the file has no bounds; set OFFSET_X / OFFSET_Y"
        }
    }
} else {
    def req = HttpRequest.newBuilder(URI.create(SERVE_URL + '/v1/info'))
            .header('Content-Type', 'application/json')
            .POST(HttpRequest.BodyPublishers.ofString(JsonOutput.toJson([path: slide]))).build()
    def resp = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString())
    if (resp.statusCode() == 200) {
        def info = new JsonSlurper().parseText(resp.body())
        if (info.width != server.getWidth() || info.height != server.getHeight()) {
            def bx = info.properties['openslide.bounds-x'], by = info.properties['openslide.bounds-y']
            if (bx != null && by != null) { dx = bx as int; dy = by as int }
        }
    }
}
if (dx != 0 || dy != 0) println "blurmm: QuPath's origin is at level-0 (${dx}, ${dy}); shifting the objects by (${-dx}, ${-dy})"

// ---------------------------------------------------------------- run blurmm
Path geojson
if (MODE == 'cli') {
    def outDir = Files.createTempDirectory('blurmm-qupath-')
    def args = ['analyze', slide, '--out', outDir.toString(), '--quiet']
    if (CONFIG != null) args += ['--config', CONFIG]
    def (code, out) = run(args)
    if (code != 0 && code != 3) { println "blurmm failed (exit ${code}):\n${out}"; return }
    if (code == 3) println "blurmm: finished with some failed tiles; see ${outDir}/report.html"
    geojson = outDir.resolve('tiles.geojson')
    println "blurmm: outputs (report.html, heatmaps) in ${outDir}"
} else {
    def body = [path: slide, format: 'geojson', objectType: 'tile']
    def req = HttpRequest.newBuilder(URI.create(SERVE_URL + '/v1/analyze'))
            .timeout(Duration.ofHours(2))
            .header('Content-Type', 'application/json')
            .POST(HttpRequest.BodyPublishers.ofString(JsonOutput.toJson(body))).build()
    def resp = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString())
    if (resp.statusCode() != 200) { println "blurmm serve answered ${resp.statusCode()}: ${resp.body()}"; return }
    geojson = Files.createTempFile('blurmm-', '.geojson')
    geojson.toFile().deleteOnExit()
    Files.writeString(geojson, resp.body())
}

// ---------------------------------------------------------------- import
if (CLEAR_EXISTING_TILES) removeObjects(getTileObjects(), true)
if (dx == 0 && dy == 0) {
    importObjectsFromFile(geojson.toString())
} else {
    def objects = PathIO.readObjects(geojson)
    def shift = AffineTransform.getTranslateInstance(-dx, -dy)
    addObjects(objects.collect { PathObjectTools.transformObject(it, shift, true) })
}
fireHierarchyUpdate()
def counts = getTileObjects().countBy { it.getPathClass()?.toString() ?: 'Unclassified' }
println "blurmm: imported ${getTileObjects().size()} tiles: ${counts}"
