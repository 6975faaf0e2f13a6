# Turns the dashboard's web files into a C++ source (cmake -P): one byte array per file and the
# table web_assets() returns (web_assets.hpp). Called by the build with
#   -DWEB_DIR=<tools/dashboard/web> -DFILES=<name,name,...> -DOUTPUT=<generated .cpp>
string(REPLACE "," ";" files "${FILES}")
set(arrays "")
set(table "")
set(index 0)
foreach(name IN LISTS files)
  file(READ "${WEB_DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  # 0x.. for every byte, all on one line (CMake regular expressions have no {n} to break them up).
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "// ${name}\nconstexpr unsigned char kAsset${index}[] = {\n    ${bytes}0x00};\n\n")
  string(APPEND table "      WebAsset{\"${name}\", as_text(kAsset${index}, ${size})},\n")
  math(EXPR index "${index} + 1")
endforeach()

file(WRITE "${OUTPUT}"
  "// Generated from tools/dashboard/web by tools/dashboard/embed_web_assets.cmake: do not edit.\n"
  "#include \"web_assets.hpp\"\n\n"
  "namespace duroxide::dashboard {\n\nnamespace {\n\n"
  "${arrays}"
  "std::string_view as_text(const unsigned char* bytes, std::size_t size) {\n"
  "  return {reinterpret_cast<const char*>(bytes), size};\n}\n\n"
  "}  // namespace\n\n"
  "std::span<const WebAsset> web_assets() {\n"
  "  static const WebAsset assets[] = {\n${table}  };\n"
  "  return assets;\n}\n\n"
  "}  // namespace duroxide::dashboard\n")
